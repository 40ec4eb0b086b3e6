"""Atomic writes keep devices, pipes and symbolic links what they are."""

from __future__ import annotations

import os
import stat
import threading

from conftest import SAMPLES, run_cli

from graphviz_bp.output import write_atomic


def test_write_atomic_replaces_regular_file(tmp_path):
    path = tmp_path / "figure.svg"
    path.write_bytes(b"old")
    write_atomic(path, b"new")

    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.svg"]


def test_write_atomic_follows_symlink(tmp_path):
    real = tmp_path / "real.svg"
    real.write_bytes(b"old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    write_atomic(link, b"new")

    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_write_atomic_keeps_named_pipe(tmp_path):
    pipe = tmp_path / "figure.pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    write_atomic(pipe, b"through the pipe")
    reader.join(timeout=10)

    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_cli_render_into_named_pipe(tmp_path):
    pipe = tmp_path / "figure.svg"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(pipe))
    reader.join(timeout=30)

    assert result.returncode == 0, result.stderr.decode()
    assert received[0].startswith(b"<?xml")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
