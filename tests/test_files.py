"""File handling of the CLI: atomic output under SIGKILL, bad paths, exit codes and messages."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, run_cli

# A wide chain of affine layers: large enough that loading, both passes and the symbolic
# labels take a good part of a second, so a kill lands at varied points of the run.
LAYERS = 24
LARGE_SPEC = "\n".join(
    [
        "inputs:",
        "  X: {shape: [64, 32], init: randn, seed: 1}",
        *[f"  W{i}: {{shape: [32, 32], init: randn, seed: {i + 2}, scale: 0.2}}" for i in range(LAYERS)],
        *[f"  b{i}: {{shape: [32], init: zeros}}" for i in range(LAYERS)],
        "  t: {shape: [64, 32], init: uniform, grad: false}",
        "nodes:",
        "  h0: tanh(affine(X, W0, b0))",
        *[f"  h{i}: tanh(affine(h{i - 1}, W{i}, b{i}))" for i in range(1, LAYERS)],
        f"  L: mse(h{LAYERS - 1}, t)",
        "output: L",
        "",
    ]
)


def _start_render(spec: Path, output: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "graphviz_bp", "render", str(spec), "-o", str(output)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_leaves_previous_output_intact(tmp_path):
    spec = tmp_path / "large.yaml"
    spec.write_text(LARGE_SPEC, encoding="utf-8")
    output = tmp_path / "figure.svg"
    started = time.monotonic()
    first = run_cli("render", str(spec), "-o", str(output))
    duration = time.monotonic() - started
    assert first.returncode == 0, first.stderr.decode()
    previous = output.read_bytes()
    output.write_bytes(previous + b"<!-- previous run -->")
    previous = output.read_bytes()

    # Delays from just after start (loading) to late in the run (drawing or writing), as
    # fractions of a whole run, so that most kills land inside a run on fast and slow machines.
    killed = 0
    for delay in (duration * fraction for fraction in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95)):
        process = _start_render(spec, output)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        killed += process.wait(timeout=60) == -signal.SIGKILL

        current = output.read_bytes()
        if current != previous:
            # The run finished before the kill: a complete new figure replaced the file.
            assert current.startswith(b"<?xml"), f"truncated output after a kill at {delay} s"
            assert current.rstrip().endswith(b"</svg>"), f"truncated output after a kill at {delay} s"
            previous = current

    assert killed >= 3, "the renders finished before the kills; the spec is too small to test interruption"
    leftovers = [path.name for path in tmp_path.iterdir() if path.name.startswith(".figure.svg.")]
    # A kill between mkstemp and the rename can leave one temporary file; never a partial figure.
    assert all(name.endswith(".tmp") for name in leftovers)


def test_spec_path_is_folder(tmp_path):
    folder = tmp_path / "spec.yaml"
    folder.mkdir()

    result = run_cli("render", str(folder))

    assert result.returncode == 2
    assert str(folder) in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_spec_missing(tmp_path):
    missing = tmp_path / "missing.yaml"

    result = run_cli("render", str(missing))

    assert result.returncode == 2
    assert str(missing) in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_output_folder_missing(tmp_path):
    target = tmp_path / "absent" / "figure.svg"

    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(target))

    assert result.returncode == 2
    assert str(target.parent) in result.stderr.decode()
    assert "does not exist" in result.stderr.decode()
    assert not target.parent.exists()


def test_output_is_folder(tmp_path):
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(tmp_path))

    assert result.returncode == 2
    assert str(tmp_path) in result.stderr.decode()
    assert "is a folder" in result.stderr.decode()


def test_output_is_spec_itself(tmp_path):
    spec = tmp_path / "apple.yaml"
    shutil.copy(SAMPLES / "apple.yaml", spec)
    before = spec.read_bytes()

    result = run_cli("render", str(spec), "-o", str(spec), "--format", "dot")

    assert result.returncode == 2
    assert str(spec) in result.stderr.decode()
    assert spec.read_bytes() == before


def test_spec_error_exit_code_names_file(write_spec):
    spec = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: sigmod(x)\noutput: y\n")

    result = run_cli("render", str(spec))

    assert result.returncode == 2
    assert f"{spec}:4:6" in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_runtime_failure_exit_code(tmp_path):
    # A non-finite value is a problem of the spec (exit 2); a failed gradient check is a
    # runtime failure (exit 1), exercised here with a tolerance no float comparison meets.
    spec = tmp_path / "sigmoid.yaml"
    shutil.copy(SAMPLES / "sigmoid.yaml", spec)

    result = run_cli("check", str(spec), "--tol", "1e-300")

    assert result.returncode == 1
    assert b"Traceback" not in result.stderr


def _read_only_mount(folder: Path) -> bool:
    """Bind-mount `folder` read-only over itself; return False where that is not permitted."""
    if shutil.which("mount") is None:
        return False
    first = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False)
    if first.returncode != 0:
        return False
    second = subprocess.run(
        ["mount", "-o", "remount,bind,ro", str(folder), str(folder)], capture_output=True, check=False
    )
    if second.returncode != 0:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)
        return False
    return True


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder that the test process cannot write, even when it runs as root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "figure.dot").write_bytes(b"previous")
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if not _read_only_mount(folder):
        pytest.skip("running as root, which ignores file permissions, and a read-only bind mount is not permitted")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def test_permission_denied_writing_output(read_only_folder):
    target = read_only_folder / "figure.dot"

    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(target), "--format", "dot")

    assert result.returncode == 1
    assert f"cannot write {target}" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert target.read_bytes() == b"previous"
