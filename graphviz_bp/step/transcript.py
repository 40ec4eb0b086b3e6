"""The step-through as plain text: every step of both passes, in order, for logs and pipes."""

from __future__ import annotations

from typing import TextIO

import numpy as np
from rich.console import Console
from rich.text import Text

from graphviz_bp.figure.labels import format_shape
from graphviz_bp.step.layout import Palette
from graphviz_bp.step.screen import line_text
from graphviz_bp.step.state import StepState, Walkthrough, format_matrix, short_text


def transcript_lines(walk: Walkthrough) -> list[Text]:
    """Build the transcript: a header, the inputs, then each step's title and equations."""
    palette = Palette.book()
    graph = walk.graph
    forward = sum(1 for step in walk.steps if step.phase == "forward")
    backward = len(walk) - forward
    lines = [Text(f"{graph.name}: output {graph.output}, {len(walk)} steps "
                  f"({forward} forward, then {backward} backward)")]
    if graph.description:
        lines.append(Text(graph.description))
    for value in graph.inputs:
        lines += _named_array(f"input {walk.label(value.name)}", walk.trace.values[value.name], walk.precision, "")

    state = StepState(walk)
    for position in range(len(walk)):
        state = state.go(position)
        lines.append(Text(""))
        lines.append(Text(f"[{position + 1}/{len(walk)}] {state.title()}", style="bold"))
        for line in state.detail():
            text = Text("  ")
            text.append_text(line_text(line, palette))
            lines.append(text)

    differentiable = [v for v in graph.inputs if walk.trace.grads[v.name] is not None]
    if differentiable:
        lines.append(Text(""))
        lines.append(Text("Gradients of the inputs:", style="bold"))
        for value in differentiable:
            lines += _named_array(walk.grad_label(value.name), walk.trace.grads[value.name], walk.precision, "  ")
    return lines


def _named_array(label: str, array: np.ndarray, precision: int, indent: str) -> list[Text]:
    """`label = value` on one line when it fits, else `label, shape (2, 3):` and the rows below."""
    text = short_text(array, precision, 40)
    if array.ndim == 0 or text != format_shape(array.shape):
        return [Text(f"{indent}{label} = {text}")]
    rows = format_matrix(array, precision)
    return [Text(f"{indent}{label}, shape {text}:"), *[Text(f"{indent}    {row}") for row in rows]]


def write_transcript(walk: Walkthrough, file: TextIO, color: bool = False) -> None:
    """Print the transcript to `file`, with ANSI colors only when `color` is set."""
    console = Console(file=file, color_system="truecolor" if color else None, force_terminal=color,
                      highlight=False, emoji=False, markup=False)
    if not walk.steps:
        console.print("The graph has no operations, so there is nothing to step through.", soft_wrap=True)
        return
    for line in transcript_lines(walk):
        # soft_wrap: lines longer than the console are neither wrapped nor cut.
        line.no_wrap = False
        line.overflow = None
        console.print(line, soft_wrap=True)
