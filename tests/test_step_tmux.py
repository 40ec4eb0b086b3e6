"""`graphviz-bp step` in a real terminal: tmux runs it, sends keys and captures the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TMUX = shutil.which("tmux")

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)")


class Terminal:
    """A detached tmux session on a private server socket, running one shell command."""

    def __init__(self, command: str, width: int, height: int) -> None:
        self.socket = f"graphviz-bp-test-{uuid.uuid4().hex[:12]}"
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), command)

    def tmux(self, *args: str) -> str:
        completed = subprocess.run([TMUX or "tmux", "-L", self.socket, "-f", "/dev/null", *args],
                                   capture_output=True, text=True, timeout=10, check=True)
        return completed.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def wait_for(self, condition: Callable[[str], bool], timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        previous = None
        while True:
            screen = self.screen()
            # Two equal captures in a row: the frame is completely drawn.
            if condition(screen) and screen == previous:
                return screen
            previous = screen
            if time.monotonic() > deadline:
                panes = self.tmux("list-panes", "-F", "#{pane_width}x#{pane_height} #{pane_current_command}")
                raise AssertionError(f"timed out waiting; the screen ({panes.strip()}) shows:\n{screen}")
            time.sleep(0.05)

    def wait_text(self, *texts: str) -> str:
        """Wait until the screen shows every one of `texts`, so a half-drawn frame does not count."""
        return self.wait_for(lambda screen: all(text in screen for text in texts))

    def close(self) -> None:
        subprocess.run([TMUX or "tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10,
                       check=False)
        # A killed server can leave its socket file behind in tmux's folder.
        folder = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        (folder / self.socket).unlink(missing_ok=True)


def step_command(spec: str) -> str:
    """A shell line that runs the step-through, then reports its exit code and whether stty changed."""
    python = shlex.quote(sys.executable)
    return (f"cd {shlex.quote(str(ROOT))}; saved=$(stty -g); {python} -m graphviz_bp step {spec}; "
            'echo "exit code $?"; [ "$(stty -g)" = "$saved" ] && echo "terminal settings restored"; sleep 60')


@pytest.fixture
def terminal() -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(spec: str, width: int = 80, height: int = 24) -> Terminal:
        term = Terminal(step_command(spec), width, height)
        opened.append(term)
        return term

    yield open_terminal
    for term in opened:
        term.close()


def assert_restored(term: Terminal) -> None:
    screen = term.wait_text("exit code")
    assert "exit code 0" in screen
    assert "terminal settings restored" in screen
    assert "Step " not in screen
    assert term.tmux("display-message", "-p", "#{alternate_on}").strip() == "0"
    assert term.tmux("display-message", "-p", "#{cursor_flag}").strip() == "1"


def test_sigmoid_forward_and_back(terminal):
    term = terminal("samples/sigmoid_expanded.yaml")

    first = term.wait_text("Step 1 of 8 · forward pass", "q quit")
    assert "Forward step 1 of 4: ×(−1)" in first
    assert "−x = −0.5" in first
    assert "−0.5 = −0.5" not in first
    assert "→/n/space next" in first

    term.keys("Right", "Right", "Right")
    fourth = term.wait_text("Step 4 of 8", "Forward step 4 of 4", "q quit")
    assert "y = 1/(1+exp(−x)) = 1/1.607 = 0.6225" in fourth
    assert "▶y" in fourth

    term.keys("b")
    backward = term.wait_text("Step 5 of 8 · backward pass", "Backward step 1 of 4", "q quit")
    assert "∂L/∂(1+exp(−x)) = −∂L/∂y·y² = 1 × (−0.3875) = −0.3875" in backward

    term.keys("End")
    last = term.wait_text("Step 8 of 8", "Backward step 4 of 4", "q quit")
    assert "∂L/∂x = ∂L/∂y·y²·exp(−x) = (−0.235) × (−1) = 0.235" in last
    table_row_x = next(line for line in last.splitlines() if line.startswith("x "))
    assert table_row_x.split() == ["x", "0.5", "0.235"]

    term.keys("Left", "p")
    term.wait_text("Step 6 of 8")
    term.keys("Home")
    term.wait_text("Step 1 of 8")

    term.keys("q")
    assert_restored(term)


def test_two_layer_net_backward(terminal):
    term = terminal("samples/two_layer_net.yaml", width=100, height=40)
    term.wait_text("Step 1 of 8")

    term.keys("End")
    last = term.wait_text("Step 8 of 8 · backward pass", "Backward step 4 of 4", "q quit")
    assert "∂L/∂X = ∂L/∂h1·W1ᵀ" in last
    assert "∂L/∂W1 = Xᵀ·∂L/∂h1" in last
    assert "[ −0.08534  −0.05907   −0.1254 0.0004308]" in last

    term.keys("f", "Right", "Right", "Right")
    loss = term.wait_text("Step 4 of 8", "Forward step 4 of 4", "q quit")
    assert "L = SoftmaxWithLoss(h2, t) = 0.9525" in loss

    term.keys("C-c")
    assert_restored(term)


def test_small_terminal_prints_transcript(terminal):
    term = terminal("samples/sigmoid_expanded.yaml", width=50, height=12)

    screen = term.wait_text("exit code")
    assert "exit code 0" in screen
    assert "Gradients of the inputs:" in screen
    assert "∂L/∂x = 0.235" in screen
