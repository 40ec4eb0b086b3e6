"""The step-through as plain text: every step of both passes, in order, for logs and pipes."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from graphviz_bp.step.layout import Palette
from graphviz_bp.step.screen import line_text
from graphviz_bp.step.state import StepState, Walkthrough, short_text


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
        text = short_text(walk.trace.values[value.name], walk.precision, 40)
        lines.append(Text(f"input {walk.label(value.name)} = {text}"))

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
            grad = short_text(walk.trace.grads[value.name], walk.precision, 40)
            lines.append(Text(f"  {walk.grad_label(value.name)} = {grad}"))
    return lines


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
