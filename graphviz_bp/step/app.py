"""The interactive step-through: read keys in raw mode and redraw the frame on each change."""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import time
from collections.abc import Iterator

from rich.console import Console

from graphviz_bp.figure.backends import RenderError, find_backend
from graphviz_bp.step.layout import GridLayout, compute_layout
from graphviz_bp.step.screen import MIN_HEIGHT, MIN_WIDTH, ScreenOptions, build_screen
from graphviz_bp.step.state import StepState, Walkthrough
from graphviz_bp.step.transcript import write_transcript

# Escape sequences of the keys, as xterm, tmux and the Linux console send them.
KEY_SEQUENCES = {
    b"\x1b[C": "next", b"\x1bOC": "next", b"n": "next", b" ": "next",
    b"\x1b[D": "previous", b"\x1bOD": "previous", b"p": "previous",
    b"\x1b[H": "first", b"\x1bOH": "first", b"\x1b[1~": "first", b"\x1b[7~": "first",
    b"\x1b[F": "last", b"\x1bOF": "last", b"\x1b[4~": "last", b"\x1b[8~": "last",
    b"f": "forward", b"b": "backward", b"v": "view", b"q": "quit", b"Q": "quit", b"\x03": "quit",
}
# How often the loop checks the terminal size while no key arrives, in seconds.
RESIZE_POLL = 0.25


def parse_keys(data: bytes) -> list[str]:
    """Turn the bytes of one read into actions, dropping unknown keys and escape sequences."""
    actions = []
    position = 0
    while position < len(data):
        for length in (4, 3, 1):
            action = KEY_SEQUENCES.get(data[position : position + length])
            if action is not None:
                actions.append(action)
                position += length
                break
        else:
            position += _unknown_length(data, position)
    return actions


def _unknown_length(data: bytes, position: int) -> int:
    """Bytes to skip for an unknown key: a whole CSI or SS3 sequence, else one byte."""
    if data[position : position + 2] in (b"\x1b[", b"\x1bO"):
        end = position + 2
        # A CSI sequence ends with a byte in @ to ~, and SS3 sends exactly one more byte.
        while end < len(data) and data[position + 1] == ord("[") and not 0x40 <= data[end] <= 0x7E:
            end += 1
        return end - position + 1
    return 1


def apply(state: StepState, action: str) -> StepState:
    """Return the state after a navigation action; other actions leave it unchanged."""
    moves = {
        "next": state.next, "previous": state.previous, "first": state.first, "last": state.last,
        "forward": state.first, "backward": state.first_backward,
    }
    move = moves.get(action)
    return move() if move else state


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """Turn off echo, line buffering and signal keys on `fd`, restoring its settings on exit.

    Output processing stays on, so the frame's newlines still return the cursor to column 0.
    Ctrl-C arrives as the byte 0x03 and quits like q.
    """
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.IXON | termios.ICRNL)
    mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSADRAIN, mode)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def layout_for(walk: Walkthrough) -> tuple[GridLayout | None, str]:
    """Lay the graph out with Graphviz, or return None with the reason the list view is shown."""
    backend = find_backend()
    if backend is None:
        return None, "no Graphviz found to lay out the graph"
    try:
        return compute_layout(walk, backend), ""
    except RenderError as error:
        return None, f"Graphviz failed: {error}"


def terminal_size() -> tuple[int, int]:
    size = os.get_terminal_size(sys.stdout.fileno())
    return size.columns, size.lines


def interact(walk: Walkthrough, console: Console, options: ScreenOptions, fd: int) -> None:
    """Show the frames full screen and follow the keys until q, Ctrl-C or end of input."""
    state = StepState(walk)
    play = options.play_seconds
    next_tick = time.monotonic() + play if play else None
    with raw_terminal(fd), console.screen(hide_cursor=True) as screen:
        drawn_key = None
        while True:
            playing = next_tick is not None and not state.is_last
            # The terminal's own size, which wins over COLUMNS and LINES in the environment.
            console.size = terminal_size()
            frame_options = ScreenOptions(options.grid, options.no_grid_reason, options.list_view,
                                          play if playing else None, options.palette)
            key = (state.position, frame_options.list_view, playing, console.size)
            if key != drawn_key:
                screen.update(build_screen(state, console, frame_options))
                drawn_key = key

            timeout = RESIZE_POLL
            if playing and next_tick is not None:
                timeout = min(timeout, max(0.0, next_tick - time.monotonic()))
            readable, _, _ = select.select([fd], [], [], timeout)
            if playing and next_tick is not None and time.monotonic() >= next_tick:
                state = state.next()
                next_tick += play or 0
            if not readable:
                continue
            data = os.read(fd, 64)
            if not data:
                return
            for action in parse_keys(data):
                if action == "quit":
                    return
                if action == "view":
                    options = ScreenOptions(options.grid, options.no_grid_reason, not options.list_view,
                                            options.play_seconds, options.palette)
                state = apply(state, action)


def run_step(walk: Walkthrough, *, transcript: bool, color: bool, play: float | None,
             list_view: bool = False) -> None:
    """Step through `walk` full screen, or print the transcript when that cannot or should not be done."""
    out = sys.stdout
    if transcript or not out.isatty() or not sys.stdin.isatty() or not walk.steps:
        write_transcript(walk, out, color=color)
        return
    console = Console()
    width, height = terminal_size()
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        print(f"graphviz-bp step: the terminal is {width}×{height}, smaller than the {MIN_WIDTH}×{MIN_HEIGHT}"
              " that the step-through needs; printing the transcript instead.", file=sys.stderr)
        write_transcript(walk, out, color=color)
        return
    grid, reason = layout_for(walk)
    options = ScreenOptions(grid, reason, list_view or grid is None, play)
    # KeyboardInterrupt comes only from a SIGINT sent from outside, because raw mode turns Ctrl-C into a key.
    with contextlib.suppress(KeyboardInterrupt):
        interact(walk, console, options, sys.stdin.fileno())
