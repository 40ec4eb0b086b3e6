"""The full-screen frame of the step-through, built from a StepState and the console's size.

`build_screen` is a pure function of its arguments: the same state at the same console
size gives the same frame, which is what the tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.text import Text

from graphviz_bp.step.layout import GridLayout, Palette, draw, focus_box, window_start
from graphviz_bp.step.state import Line, StepState, short_text

# Below this size the screen cannot show a useful frame, so the command prints the transcript.
MIN_WIDTH = 60
MIN_HEIGHT = 16
# With fewer rows than this for the graph, the list view replaces the drawing.
MIN_GRAPH_ROWS = 5
MAX_CELL_TEXT = 30
LEGEND = "→/n/space next  ←/p back  Home/End  f/b forward/backward  v view  q quit"


@dataclass(frozen=True)
class ScreenOptions:
    """How to draw a frame: `grid` is None when no Graphviz laid the graph out."""

    grid: GridLayout | None
    # Why `grid` is None, shown above the list view.
    no_grid_reason: str = "Graphviz is not available"
    list_view: bool = False
    play_seconds: float | None = None
    palette: Palette = Palette.book()


def build_screen(state: StepState, console: Console, options: ScreenOptions) -> RenderableType:
    """Build the whole frame: progress line, graph, step panel, table of values and key legend."""
    width, height = console.size
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return Text(f"The terminal is {width}×{height}; the step-through needs at least "
                    f"{MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it, or press q to quit.")

    available = height - 2
    detail = state.detail()
    table = table_lines(state, options.palette)
    graph_rows = options.grid.height if options.grid is not None and not options.list_view else len(state.walk)

    panel_height = min(len(detail) + 2, max(4, available // 3))
    table_height = min(len(table), max(3, (available - panel_height) // 3))
    graph_height = available - panel_height - table_height
    # Rows that the graph does not need go to the table first, then to the panel.
    spare = graph_height - (graph_rows + 1)
    if spare > 0:
        graph_height -= spare
        extra_table = min(spare, len(table) - table_height)
        table_height += extra_table
        panel_height += min(spare - extra_table, len(detail) + 2 - panel_height)

    parts: list[RenderableType] = [progress_line(state, width, options.play_seconds)]
    parts += graph_area(state, options, width, graph_height)
    parts.append(step_panel(state, detail, panel_height, options.palette))
    parts += window(table[:1], 1) + window(table[1:], table_height - 1, focus=_active_row(state))
    parts.append(Text(LEGEND, style="dim", no_wrap=True, overflow="ellipsis"))
    return Group(*parts)


def progress_line(state: StepState, width: int, play_seconds: float | None) -> Text:
    walk = state.walk
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(walk.graph.name, style="bold")
    text.append(f"  {state.progress()}")
    if play_seconds is not None:
        text.append(f"  (stepping every {play_seconds:g} s)", style="dim")
    bar_width = max(0, min(len(walk), width - len(text) - 2))
    if bar_width:
        done = round(bar_width * (state.position + 1) / len(walk))
        text.append("  ")
        text.append("━" * done, style=Style(bold=True))
        text.append("━" * (bar_width - done), style=Style(dim=True))
    return text


def graph_area(state: StepState, options: ScreenOptions, width: int, height: int) -> list[Text]:
    """Draw the graph, scrolled to keep the active node in sight, or the list view."""
    grid = options.grid
    # A small graph that fits whole is drawn even in fewer than MIN_GRAPH_ROWS rows.
    too_low = height < MIN_GRAPH_ROWS and (grid is None or height < grid.height)
    if grid is None or options.list_view or too_low:
        if grid is None:
            reason = options.no_grid_reason
        elif options.list_view:
            reason = "press v for the graph"
        else:
            reason = f"the graph needs {grid.height} rows; press v to switch back after enlarging"
        note = Text(f"List view ({reason})", style="dim", no_wrap=True, overflow="ellipsis")
        return [note, *window(list_lines(state), height - 1, focus=_active_node(state))]

    lines = draw(grid, state, options.palette)
    if grid.width <= width and grid.height <= height:
        return lines
    view_height = height - 1
    top, left, bottom, right = focus_box(grid, state)
    first_row = window_start(grid.height, view_height, top, bottom)
    first_col = window_start(grid.width, width, left, right)
    shown = [line[first_col : first_col + width] for line in lines[first_row : first_row + view_height]]
    note = (f"Graph scrolled to the active node: columns {first_col + 1}–{min(grid.width, first_col + width)}"
            f" of {grid.width}, rows {first_row + 1}–{min(grid.height, first_row + view_height)} of {grid.height}")
    return [*shown, Text(note, style="dim", no_wrap=True, overflow="ellipsis")]


def list_lines(state: StepState) -> list[Text]:
    """List one line per operation: op symbol, inputs → output, marked when active or not yet computed."""
    walk = state.walk
    lines = []
    for node in walk.graph.nodes:
        active = node.name == state.step.node
        known = state.value_known(node.name)
        text = Text(no_wrap=True, overflow="ellipsis", style="" if known else "dim")
        text.append("▶ " if active else "  ", style="bold")
        inputs = ", ".join(walk.label(src) for src in node.inputs)
        text.append(f"{walk.op_label(node.name)}: {inputs} → {walk.label(node.name)}",
                    style="reverse bold" if active else "")
        lines.append(text)
    return lines


def step_panel(state: StepState, detail: list[Line], height: int, palette: Palette) -> Panel:
    shown = detail[: max(height - 2, 1)]
    texts = [line_text(line, palette) for line in shown]
    hidden = len(detail) - len(shown)
    if hidden > 0 and texts:
        texts[-1] = Text(f"… {hidden + 1} more lines: enlarge the terminal to see them", style="dim")
    return Panel(Group(*texts), title=state.title(), title_align="left", height=height, padding=(0, 1))


def line_text(line: Line, palette: Palette) -> Text:
    styles = {"plain": Style(), "forward": palette.forward + Style(bold=True), "backward": palette.backward,
              "symbol": Style(italic=True), "note": Style(dim=True)}
    text = Text(no_wrap=True, overflow="ellipsis")
    for piece, role in line:
        text.append(piece, style=styles[role])
    return text


def table_lines(state: StepState, palette: Palette) -> list[Text]:
    """Build a header and one row per input and node: the value and ∂L/∂value known so far."""
    walk = state.walk
    rows = []
    for value in walk.graph.values.values():
        if value.kind == "constant":
            continue
        forward = short_text(walk.trace.values[value.name], walk.precision, MAX_CELL_TEXT) \
            if state.value_known(value.name) else "·"
        grad, complete = state.grad(value.name)
        backward = short_text(grad, walk.precision, MAX_CELL_TEXT) if grad is not None else "·"
        if grad is not None and not complete:
            backward += " (partial)"
        rows.append((value.name, _truncate(walk.label(value.name), 24), forward, backward))

    name_width = max([len("value")] + [len(r[1]) for r in rows])
    forward_width = max([len("forward")] + [len(r[2]) for r in rows])
    header = Text(f"{'value'.ljust(name_width)}  {'forward'.ljust(forward_width)}  gradient ∂L/∂value",
                  style="bold underline", no_wrap=True, overflow="ellipsis")
    lines = [header]
    for name, label, forward, backward in rows:
        text = Text(no_wrap=True, overflow="ellipsis")
        active = name == state.step.node
        text.append(label.ljust(name_width), style="reverse bold" if active else "")
        text.append("  ")
        text.append(forward.ljust(forward_width), style=palette.forward)
        text.append("  ")
        text.append(backward, style=palette.backward if backward != "·" else Style())
        lines.append(text)
    return lines


def window(lines: list[Text], height: int, focus: int | None = None) -> list[Text]:
    """Return at most `height` lines, scrolled so that line `focus` is shown, with … marking cut lines."""
    if height <= 0:
        return []
    if len(lines) <= height:
        return lines
    focus = focus or 0
    if height < 3:
        start = min(focus, len(lines) - height)
        return lines[start : start + height]
    # The range around `focus` keeps it off the first and last lines, which become the … markers.
    start = window_start(len(lines), height, max(focus - 1, 0), focus + 2)
    shown = lines[start : start + height]
    if start > 0:
        shown[0] = Text(f"… {start + 1} lines above", style="dim")
    if start + height < len(lines):
        shown[-1] = Text(f"… {len(lines) - start - height + 1} lines below", style="dim")
    return shown


def _active_row(state: StepState) -> int:
    rows = [v.name for v in state.walk.graph.values.values() if v.kind != "constant"]
    return rows.index(state.step.node)


def _active_node(state: StepState) -> int:
    return [node.name for node in state.walk.graph.nodes].index(state.step.node)


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
