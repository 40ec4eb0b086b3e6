"""Draw the computational graph on a character grid, with positions laid out by Graphviz.

Graphviz (`dot`, through graphviz_bp.figure.backends) places every node, and its json output
gives the centers in points, which map onto cells of CELL_WIDTH × CELL_HEIGHT inches.
Like the figure, each edge passes through a label block: the forward value on the row
above the line and the gradient on the row below it. Lines are routed on the grid here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Literal

from rich.style import Style
from rich.text import Text

from graphviz_bp.figure.backends import Backend
from graphviz_bp.figure.themes import get_theme
from graphviz_bp.step.state import OUTPUT_SLOT_NODE, Edge, StepState, Walkthrough, short_text

# One character cell in inches: terminal cells are about twice as tall as they are wide.
CELL_WIDTH = 0.1
CELL_HEIGHT = 0.2
POINTS_PER_INCH = 72
# Edge texts longer than this show the array's shape instead of its numbers.
MAX_EDGE_TEXT = 16

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
LINE_CHARS = {
    LEFT | RIGHT: "─", UP | DOWN: "│", LEFT: "─", RIGHT: "─", UP: "│", DOWN: "│",
    RIGHT | DOWN: "╭", LEFT | DOWN: "╮", RIGHT | UP: "╰", LEFT | UP: "╯",
    LEFT | RIGHT | DOWN: "┬", LEFT | RIGHT | UP: "┴", UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤",
    UP | DOWN | LEFT | RIGHT: "┼",
}
ARROW = "▶"

BoxKind = Literal["op", "leaf", "label", "terminal"]


@dataclass(frozen=True)
class Box:
    """A rectangle of cells: `row`, `col` of its top-left cell, `width` × `height` cells."""

    row: int
    col: int
    width: int
    height: int
    kind: BoxKind

    @property
    def middle(self) -> int:
        return self.row + self.height // 2

    def contains(self, row: int, col: int) -> bool:
        return self.row <= row < self.row + self.height and self.col <= col < self.col + self.width


@dataclass
class GridLayout:
    """The grid positions of every node, edge label block and line cell of a graph."""

    width: int
    height: int
    nodes: dict[str, Box]
    labels: dict[tuple[str, int], Box]
    lines: dict[tuple[int, int], int] = field(default_factory=dict)
    arrows: set[tuple[int, int]] = field(default_factory=set)


def node_text(walk: Walkthrough, name: str) -> str:
    if name == OUTPUT_SLOT_NODE:
        return walk.graph.output
    value = walk.graph[name]
    if value.kind == "node":
        return f" {walk.op_label(name)} "
    return walk.label(name) if value.kind == "input" else walk.op_label(name)


def label_width(walk: Walkthrough, edge: Edge) -> int:
    """Cells that an edge's label block needs: its longest text once everything is known."""
    value = walk.trace.values[edge.source]
    grad = walk.edge_grad(edge)
    texts = [short_text(value, walk.precision, MAX_EDGE_TEXT), short_text(grad, walk.precision, MAX_EDGE_TEXT)]
    return max(3, *(len(text) for text in texts))


def layout_source(walk: Walkthrough) -> tuple[str, dict[str, str]]:
    """Build the DOT text that sizes every node in cells, and the map from DOT ids to names."""
    ids: dict[str, str] = {}
    lines = [
        "digraph layout {",
        f"rankdir=LR; nodesep={CELL_HEIGHT}; ranksep={2 * CELL_WIDTH}; splines=true;",
        'node [shape=box, fixedsize=true, label=""]; edge [arrowhead=none, tailport=e, headport=w];',
    ]

    def add_node(key: str, width: int, height: int) -> str:
        dot_id = f"n{len(ids)}"
        ids[dot_id] = key
        lines.append(f"{dot_id} [width={width * CELL_WIDTH:.3f}, height={height * CELL_HEIGHT:.3f}];")
        return dot_id

    node_ids = {}
    for value in walk.graph.values.values():
        height = 3 if value.kind == "node" else 1
        node_ids[value.name] = add_node(value.name, len(node_text(walk, value.name)) + 2 * (height == 3), height)
    node_ids[OUTPUT_SLOT_NODE] = add_node(OUTPUT_SLOT_NODE, len(node_text(walk, OUTPUT_SLOT_NODE)), 1)

    for edge in walk.edges:
        source, target = node_ids[edge.source], node_ids[edge.target]
        if walk.graph[edge.source].kind == "constant":
            lines.append(f"{source} -> {target};")
            continue
        label = add_node(f"{edge.target}\0{edge.slot}", label_width(walk, edge), 3)
        lines.append(f"{source} -> {label}; {label} -> {target};")
    lines.append("}")
    return "\n".join(lines), ids


def compute_layout(walk: Walkthrough, backend: Backend) -> GridLayout:
    """Lay the graph out with Graphviz and route every edge on the grid."""
    source, ids = layout_source(walk)
    document = json.loads(backend.render(source, "json").decode("utf-8"))
    _, _, right, top = (float(x) for x in document["bb"].split(","))
    cell_x = CELL_WIDTH * POINTS_PER_INCH
    cell_y = CELL_HEIGHT * POINTS_PER_INCH

    nodes: dict[str, Box] = {}
    labels: dict[tuple[str, int], Box] = {}
    for item in document.get("objects", []):
        key = ids.get(item["name"])
        if key is None:
            continue
        x, y = (float(v) for v in item["pos"].split(","))
        width = round(float(item["width"]) / CELL_WIDTH)
        height = round(float(item["height"]) / CELL_HEIGHT)
        col = max(0, round((x / cell_x) - width / 2))
        row = max(0, round((top - y) / cell_y - height / 2))
        if "\0" in key:
            target, slot = key.split("\0")
            labels[(target, int(slot))] = Box(row, col, width, height, "label")
        else:
            kind: BoxKind = "terminal" if key == OUTPUT_SLOT_NODE else (
                "op" if walk.graph[key].kind == "node" else "leaf")
            nodes[key] = Box(row, col, width, height, kind)

    # Rounding can push a box one cell past Graphviz's bounding box, so the boxes set the size.
    boxes = [*nodes.values(), *labels.values()]
    width = max([math.ceil(right / cell_x)] + [b.col + b.width for b in boxes])
    height = max([math.ceil(top / cell_y)] + [b.row + b.height for b in boxes])
    grid = GridLayout(width, height, nodes, labels)
    for edge in walk.edges:
        label = labels.get(edge.key)
        start = nodes[edge.source]
        if label is None:
            _route(grid, start, nodes[edge.target], arrow=True)
        else:
            _route(grid, start, label, arrow=False)
            _route(grid, label, nodes[edge.target], arrow=True)
    return grid


def _route(grid: GridLayout, start: Box, end: Box, arrow: bool) -> None:
    """Draw a line from the right side of `start` to the left side of `end`.

    The line runs along rows and columns, turning once near the end that has several
    edges (fan-in at an op, fan-out at a value) so that shared lines merge. A route that
    would cross a box goes around through the free column nearest the end instead.
    """
    row1, col1 = start.middle, start.col + start.width
    row2, col2 = end.middle, end.col - 1
    if col2 < col1:
        col2 = col1
    if arrow:
        grid.arrows.add((row2, col2))
        last = col2 - 1
    else:
        last = col2
    bend = max(col1, last - 1) if arrow else col1
    boxes = [*grid.nodes.values(), *grid.labels.values()]
    # NOTE: when every column is blocked, the last candidate is drawn even though it crosses a box.
    for candidate in [bend, *range(last, col1 - 1, -1)]:
        cells = _path(row1, col1, row2, last, candidate)
        if not any(box.contains(r, c) for r, c in cells for box in boxes):
            break
    _mark(grid, cells, ends_in_label=not arrow)


def _path(row1: int, col1: int, row2: int, col2: int, bend: int) -> list[tuple[int, int]]:
    cells = [(row1, c) for c in range(col1, bend + 1)]
    step = 1 if row2 > row1 else -1
    cells += [(r, bend) for r in range(row1 + step, row2 + step, step)] if row1 != row2 else []
    cells += [(row2, c) for c in range(bend + 1, col2 + 1)]
    return cells


def _mark(grid: GridLayout, cells: list[tuple[int, int]], ends_in_label: bool) -> None:
    if not cells:
        return
    lines = grid.lines
    first = cells[0]
    lines[first] = lines.get(first, 0) | LEFT
    for (r1, c1), (r2, c2) in zip(cells, cells[1:], strict=False):
        if r1 == r2:
            forward, backward = (RIGHT, LEFT) if c2 > c1 else (LEFT, RIGHT)
        else:
            forward, backward = (DOWN, UP) if r2 > r1 else (UP, DOWN)
        lines[(r1, c1)] = lines.get((r1, c1), 0) | forward
        lines[(r2, c2)] = lines.get((r2, c2), 0) | backward
    last = cells[-1]
    lines[last] = lines.get(last, 0) | RIGHT


@dataclass(frozen=True)
class Palette:
    """Rich styles of the grid: forward and backward follow the figure's book theme."""

    forward: Style
    backward: Style
    line: Style
    node: Style
    pending: Style
    active: Style
    fresh: Style

    @classmethod
    def book(cls) -> Palette:
        theme = get_theme("book")
        # The book prints forward values in black on white paper; a terminal's own
        # foreground color plays that part, so dark terminals stay readable.
        return cls(
            forward=Style(),
            backward=Style(color=theme.backward),
            line=Style(dim=True),
            node=Style(bold=True),
            pending=Style(dim=True),
            active=Style(reverse=True, bold=True),
            fresh=Style(bold=True, underline=True),
        )


def draw(grid: GridLayout, state: StepState, palette: Palette) -> list[Text]:
    """Draw the graph at `state`: known values above lines, known gradients below them."""
    walk = state.walk
    chars = [[" "] * grid.width for _ in range(grid.height)]
    styles: list[list[Style | None]] = [[None] * grid.width for _ in range(grid.height)]

    def put(row: int, col: int, text: str, style: Style | None) -> None:
        for offset, char in enumerate(text):
            if 0 <= row < grid.height and 0 <= col + offset < grid.width:
                chars[row][col + offset] = char
                styles[row][col + offset] = style

    for (row, col), bits in grid.lines.items():
        put(row, col, LINE_CHARS.get(bits, "┼"), palette.line)
    for row, col in grid.arrows:
        put(row, col, ARROW, palette.line)

    active = state.step.node
    for name, box in grid.nodes.items():
        text = node_text(walk, name)
        known = name == OUTPUT_SLOT_NODE or state.value_known(name)
        if name == active:
            style = border = palette.active
        elif known:
            style, border = palette.node, palette.line
        else:
            style = border = palette.pending
        if box.kind == "op":
            put(box.row, box.col, "╭" + "─" * (box.width - 2) + "╮", border)
            put(box.middle, box.col, "│", border)
            put(box.middle, box.col + 1, text.center(box.width - 2), style)
            put(box.middle, box.col + box.width - 1, "│", border)
            put(box.row + box.height - 1, box.col, "╰" + "─" * (box.width - 2) + "╯", border)
        else:
            put(box.middle, box.col, text.center(box.width), style)

    for edge in walk.edges:
        box = grid.labels.get(edge.key)
        if box is None:
            continue
        put(box.middle, box.col, "─" * box.width, palette.line)
        fresh = state.is_active_edge(edge)
        value = state.edge_value(edge)
        if value is not None:
            text = short_text(value, walk.precision, MAX_EDGE_TEXT).center(box.width)
            put(box.row, box.col, text, palette.forward + palette.fresh if fresh else palette.forward)
        grad = state.edge_grad(edge)
        if grad is not None:
            text = short_text(grad, walk.precision, MAX_EDGE_TEXT).center(box.width)
            style = palette.backward + palette.fresh if fresh else palette.backward
            put(box.row + box.height - 1, box.col, text, style)

    lines = []
    for row in range(grid.height):
        text = Text(no_wrap=True, overflow="crop")
        for char, style in zip(chars[row], styles[row], strict=True):
            text.append(char, style or "")
        text.rstrip()
        lines.append(text)
    return lines


def focus_box(grid: GridLayout, state: StepState) -> tuple[int, int, int, int]:
    """Return the cells to keep in sight: the active node with the label blocks that this step fills."""
    boxes = [grid.nodes[state.step.node]]
    boxes += [grid.labels[edge.key] for edge in state.walk.edges
              if edge.key in grid.labels and state.is_active_edge(edge)]
    top = min(b.row for b in boxes)
    left = min(b.col for b in boxes)
    bottom = max(b.row + b.height for b in boxes)
    right = max(b.col + b.width for b in boxes)
    return top, left, bottom, right


def window_start(size: int, view: int, low: int, high: int) -> int:
    """First cell of a `view`-cell window on `size` cells that shows [low, high) when it can."""
    # Scroll no further than needed: a window at either end is kept while it shows the range.
    if size <= view or high <= view:
        return 0
    if low >= size - view:
        return size - view
    if high - low >= view:
        return low
    start = (low + high) // 2 - view // 2
    return min(max(start, 0), size - view)
