"""Step frames: one figure per step, blank labels for what is not yet computed, safe folders."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, run_cli

from graphviz_bp.engine import run
from graphviz_bp.errors import SpecError
from graphviz_bp.figure import RenderOptions, to_dot_source
from graphviz_bp.figure.frames import frame_name, write_step_frames
from graphviz_bp.spec import load


@pytest.fixture(scope="module")
def trace():
    return run(load(SAMPLES / "sigmoid_expanded.yaml"))


def visible_text(dot: str) -> list[str]:
    """The label texts drawn in a visible color."""
    return re.findall(r'<FONT COLOR="(?!transparent)[^"]*"[^>]*>(?:<I>)?([^<]*)', dot)


def test_first_frame_shows_only_first_value(trace):
    text = visible_text(to_dot_source(trace, RenderOptions(step=0)))

    assert "x = 0.5" in text
    assert "−x = −0.5" in text
    assert "exp(−x) = 0.6065" not in text
    assert not any("∂L" in line for line in text)


def test_first_backward_frame_shows_seed(trace):
    first_backward = next(s.index for s in trace.steps if s.phase == "backward")
    text = visible_text(to_dot_source(trace, RenderOptions(step=first_backward)))

    assert "∂L/∂y = 1" in text
    assert "−∂L/∂y·y² = −0.3875" in text
    assert "∂L/∂y·y²·exp(−x) = 0.235" not in text


def test_last_frame_shows_everything(trace):
    last = to_dot_source(trace, RenderOptions(step=len(trace.steps) - 1))

    assert "transparent" not in last
    assert "∂L/∂y·y²·exp(−x) = 0.235" in last


def test_active_node_highlighted(trace):
    dot = to_dot_source(trace, RenderOptions(step=1))

    assert re.search(r'"y#4" \[[^\]]*fillcolor="#ffe08a"', dot)
    assert dot.count("#ffe08a") == 1


def test_frames_keep_same_layout_text(trace):
    """Blank labels keep their text, so every frame lays out the same."""
    strip = re.compile(r'COLOR="[^"]*"|fillcolor="[^"]*"|penwidth=2 ')
    frames = {" ".join(strip.sub("", to_dot_source(trace, RenderOptions(step=s.index))).split()) for s in trace.steps}

    assert len(frames) == 1


def test_step_out_of_range(trace):
    with pytest.raises(SpecError, match="out of range"):
        to_dot_source(trace, RenderOptions(step=99))


def test_frame_names_sort_in_step_order():
    names = [frame_name(i, "forward", 120, "svg") for i in range(120)]

    assert names == sorted(names)
    assert names[0] == "step-001-forward.svg"


def test_write_frames_dot(tmp_path, trace):
    paths = write_step_frames(trace, tmp_path / "frames", "dot", RenderOptions(), None)

    assert [p.name for p in paths][:2] == ["step-01-forward.dot", "step-02-forward.dot"]
    assert len(paths) == len(trace.steps)


def test_write_frames_keeps_other_files_with_force(tmp_path, trace):
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    # Named like a frame, but not written by graphviz-bp: it is the user's file.
    (folder / "step-99-backward.dot").write_text("my own notes")

    with pytest.raises(SpecError, match="already contains other files"):
        write_step_frames(trace, folder, "dot", RenderOptions(), None)
    write_step_frames(trace, folder, "dot", RenderOptions(), None, force=True)

    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "step-99-backward.dot").read_text() == "my own notes"


def test_write_frames_removes_only_its_own_stale_frames(tmp_path, trace):
    folder = tmp_path / "frames"
    write_step_frames(trace, folder, "dot", RenderOptions(), None)
    short = run(load(SAMPLES / "apple.yaml"))
    write_step_frames(short, folder, "dot", RenderOptions(), None)

    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert names == [frame_name(s.index, s.phase, len(short.steps), "dot") for s in short.steps]


def test_cli_steps_writes_svg_frames(tmp_path):
    folder = tmp_path / "frames"
    result = run_cli("render", str(SAMPLES / "sigmoid_expanded.yaml"), "--steps", str(folder))

    assert result.returncode == 0, result.stderr.decode()
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert len(files) == 8
    assert files[-1] == "step-08-backward.svg"
    assert (folder / files[0]).read_bytes().startswith(b"<?xml")


def test_cli_steps_refuses_folder_with_other_files(tmp_path):
    (tmp_path / "keep.txt").write_text("keep")
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "--steps", str(tmp_path), "-f", "dot")

    assert result.returncode == 2
    assert "--force" in result.stderr.decode()
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
