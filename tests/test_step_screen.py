"""Frames of the step-through rendered without color at fixed console sizes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from graphviz_bp.engine import run
from graphviz_bp.figure.backends import find_backend
from graphviz_bp.spec import load
from graphviz_bp.step.app import apply, parse_keys
from graphviz_bp.step.layout import compute_layout
from graphviz_bp.step.screen import ScreenOptions, build_screen
from graphviz_bp.step.state import StepState, Walkthrough
from graphviz_bp.symbolic import annotate

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

SIGMOID_LIST_VIEW = """\
sigmoid-expanded  Step 7 of 8 · backward pass  ━━━━━━━━
List view (press v for the graph)
  ×(−1): x → −x
▶ exp: −x → exp(−x)
  +: 1, exp(−x) → 1+exp(−x)
  /: 1, 1+exp(−x) → y
╭─ Backward step 3 of 4: exp ──────────────────────────────────────────────────╮
│ ∂L/∂(−x) = −∂L/∂y·y²·exp(−x) = (−0.3875) × 0.6065 = −0.235                   │
╰──────────────────────────────────────────────────────────────────────────────╯
value      forward  gradient ∂L/∂value
x          0.5      ·
−x         −0.5     −0.235
exp(−x)    0.6065   −0.3875
1+exp(−x)  1.607    −0.3875
y          0.6225   1
→/n/space next  ←/p back  Home/End  f/b forward/backward  v view  q quit
"""


def walkthrough(sample: str) -> Walkthrough:
    trace = run(load(SAMPLES / f"{sample}.yaml"))
    return Walkthrough(trace, annotate(trace.graph))


def frame_text(state: StepState, options: ScreenOptions, width: int = 80, height: int = 24) -> str:
    console = Console(width=width, height=height, color_system=None, file=io.StringIO(), record=True)
    console.print(build_screen(state, console, options))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


@pytest.fixture(scope="module")
def sigmoid() -> Walkthrough:
    return walkthrough("sigmoid_expanded")


def test_list_view_frame_text(sigmoid):
    grid = compute_layout(sigmoid, find_backend())
    state = StepState(sigmoid).go(6)

    assert frame_text(state, ScreenOptions(grid, list_view=True)) == SIGMOID_LIST_VIEW


def test_list_view_without_layout_says_why(sigmoid):
    text = frame_text(StepState(sigmoid), ScreenOptions(None, "no Graphviz found to lay out the graph"))

    assert "List view (no Graphviz found to lay out the graph)" in text


def test_graph_view_shows_known_edges(sigmoid):
    grid = compute_layout(sigmoid, find_backend())
    text = frame_text(StepState(sigmoid).go(4), ScreenOptions(grid))
    graph_rows = text.split("╭─ Backward")[0]

    assert "Step 5 of 8 · backward pass" in text
    for label in ("x", "×(−1)", "exp", "+", "/", "y"):
        assert label in graph_rows
    for value in ("0.5", "−0.5", "0.6065", "1.607", "0.6225"):
        assert value in graph_rows
    # After the first backward step, only the gradients of the output and of 1+exp(−x) are known.
    assert "−0.3875" in graph_rows
    assert "−0.235" not in graph_rows
    assert "▶" in graph_rows
    assert "∂L/∂(1+exp(−x)) = −∂L/∂y·y² = 1 × (−0.3875) = −0.3875" in text


def test_graph_view_fills_gradients_backward(sigmoid):
    grid = compute_layout(sigmoid, find_backend())
    before = frame_text(StepState(sigmoid).go(3), ScreenOptions(grid)).split("╭─ ")[0]
    after = frame_text(StepState(sigmoid).last(), ScreenOptions(grid)).split("╭─ ")[0]

    assert "−0.3875" not in before
    assert "0.235" in after
    assert "−0.235" in after


def test_wide_graph_scrolls_to_active_node():
    walk = walkthrough("two_layer_net")
    grid = compute_layout(walk, find_backend())
    assert grid.width > 80

    first = frame_text(StepState(walk), ScreenOptions(grid))
    last = frame_text(StepState(walk).go(3), ScreenOptions(grid))

    assert "Graph scrolled to the active node: columns 1–80" in first
    assert "Softmax-with-Loss" in last
    assert f"columns {grid.width - 79}–{grid.width} of {grid.width}" in last


def test_small_terminal_shows_message(sigmoid):
    text = frame_text(StepState(sigmoid), ScreenOptions(None), width=40, height=10)

    assert "The terminal is 40×10" in text


def test_two_layer_panel_shows_matrix():
    walk = walkthrough("two_layer_net")
    text = frame_text(StepState(walk), ScreenOptions(None, list_view=True), width=100, height=40)

    assert "h1 = X·W1+b1" in text
    assert "[  0.7288  −0.6306   0.5878  −0.5199     0.74]" in text
    assert "shape (3, 5)" in text


def test_parse_keys_sequences():
    assert parse_keys(b"\x1b[C\x1b[Dn p") == ["next", "previous", "next", "next", "previous"]
    assert parse_keys(b"\x1b[H\x1b[4~\x1bOFfbvq\x03") == ["first", "last", "last", "forward", "backward",
                                                           "view", "quit", "quit"]
    assert parse_keys(b"\x1b[15~x\x1b[1;5Cq") == ["quit"]


def test_navigation_clamps_and_jumps(sigmoid):
    state = StepState(sigmoid)

    assert apply(state, "previous").position == 0
    assert apply(state, "backward").position == 4
    assert apply(apply(state, "last"), "next").position == 7
    assert apply(apply(state, "last"), "forward").position == 0


def test_single_op_graph_drawn_not_listed():
    walk = walkthrough("sigmoid")
    grid = compute_layout(walk, find_backend())
    text = frame_text(StepState(walk).go(0), ScreenOptions(grid), width=100, height=30)

    assert "List view" not in text
    assert "│ σ │" in text
