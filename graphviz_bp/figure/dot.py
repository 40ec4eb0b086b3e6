"""Build the DOT description of a figure from a Graph and its Trace.

Operations are nodes (circles for primitive ops, boxes for layers); values are edges, each
labelled with the forward value above the gradient that flows back along it, as in the
textbook's backprop figures. Labels are HTML-like tables whose text is escaped here on
purpose; node names go through the graphviz package's quoting.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Literal

import graphviz
import numpy as np

from graphviz_bp.engine import Trace
from graphviz_bp.errors import SpecError
from graphviz_bp.figure.labels import format_array, format_number, format_shape
from graphviz_bp.figure.themes import Theme, get_theme
from graphviz_bp.graph import Value
from graphviz_bp.limits import DEFAULT_MAX_LABEL_LENGTH
from graphviz_bp.ops import REGISTRY

LabelMode = Literal["symbolic", "numeric", "both", "shapes"]
LABEL_MODES: tuple[str, ...] = ("symbolic", "numeric", "both", "shapes")
RANKDIRS: tuple[str, ...] = ("LR", "TB")
LAYOUTS: tuple[str, ...] = ("auto", "full", "compact")
# Graphviz's dot lays out every edge label as an extra node, which dominates its time on large
# graphs. Measured with the bundled Graphviz 14.1.5 on 2 cores (samples/wide_5000.py and its
# smaller versions, numeric labels): 1,199 values take 0.4 s in the full layout, and 5,999
# values take 4.2 s full and 1.3 s compact.
COMPACT_THRESHOLD = 2000
# Ids of the nodes that the figure adds: the output's terminal and each edge's label node.
# '#' followed by letters cannot clash with a user's name or a generated subexpression.
OUTPUT_SUFFIX = "#output"
LABEL_INFIX = "#edge"
LINE_PORT = "line"
# Text not yet computed in a step frame is drawn in this color, so that every frame keeps
# the same layout and slides do not jump.
BLANK = "transparent"


@dataclass(frozen=True)
class RenderOptions:
    """Options of a figure; `precision` is the number of significant digits."""

    labels: LabelMode = "both"
    forward_only: bool = False
    rankdir: str = "LR"
    precision: int = 4
    theme: str = "book"
    max_label_length: int = DEFAULT_MAX_LABEL_LENGTH
    transparent: bool = False
    # Draw the state after trace.steps[step]: later values and gradients are blank and the
    # step's node is highlighted. None draws the finished passes.
    step: int | None = None
    # "full" draws the textbook layout, "compact" draws each value and gradient inside its node
    # so that large graphs lay out several times faster, and "auto" picks compact above
    # COMPACT_THRESHOLD values.
    layout: str = "auto"
    # A fontconfig family name such as "Noto Sans CJK SC"; None uses the theme's DejaVu Sans.
    font: str | None = None

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise SpecError(f"unknown layout {self.layout!r}", hint=f"use one of: {', '.join(LAYOUTS)}")
        if self.labels not in LABEL_MODES:
            raise SpecError(f"unknown label mode {self.labels!r}", hint=f"use one of: {', '.join(LABEL_MODES)}")
        if self.rankdir not in RANKDIRS:
            raise SpecError(f"unknown rankdir {self.rankdir!r}", hint="use LR (left to right) or TB (top to bottom)")
        if not 1 <= self.precision <= 17:
            raise SpecError(f"precision {self.precision} is out of range", hint="use 1 to 17 significant digits")
        get_theme(self.theme)


def build_dot(trace: Trace, options: RenderOptions | None = None) -> graphviz.Digraph:
    """Build the figure of `trace` as a graphviz.Digraph (not yet laid out).

    In the full layout, each edge of the computational graph is drawn as two DOT edges
    through a label node. The label node is a table whose thin middle row carries the line,
    with the forward value above it and the gradient below it (left and right with rankdir
    TB). The compact layout is built by `_build_compact_dot`.
    """
    options = options or RenderOptions()
    theme = get_theme(options.theme)
    graph = trace.graph
    if resolve_layout(len(graph), options) == "compact":
        return _build_compact_dot(trace, options, theme)
    symbols = _symbolic_text(trace, options)

    dot = graphviz.Digraph(name=_dot_id(graph.name))
    background = "transparent" if options.transparent else theme.background
    dot.attr(rankdir=options.rankdir, bgcolor=background, nodesep="0.25", ranksep="0.3")
    dot.attr("node", fontname=options.font or theme.font, fontcolor=theme.forward, color=theme.node_line,
             style="filled", fillcolor=theme.node_fill)
    dot.attr("edge", color=theme.node_line, arrowsize="0.7")

    progress = _StepProgress.at(trace, options.step)
    for value in graph.values.values():
        attributes = _node_attributes(value, theme)
        if value.name == progress.active:
            attributes.update(fillcolor=theme.highlight, penwidth="2")
        dot.node(_dot_id(value.name), **attributes)

    edges: list[tuple[str, str, np.ndarray | None, str | None]] = []
    for node in graph.nodes:
        for slot, source in enumerate(node.inputs):
            grad_symbol = symbols.edges.get((node.name, slot)) if symbols else None
            edges.append((source, node.name, trace.edge_grads.get((node.name, slot)), grad_symbol))
    output = graph[graph.output]
    terminal = output.name + OUTPUT_SUFFIX
    dot.node(_dot_id(terminal), label=_html_text(output.name, theme.forward), shape="plaintext", style="")
    edges.append((output.name, terminal, trace.seed, symbols.output_grad if symbols else None))

    for index, (source, target, grad, grad_symbol) in enumerate(edges):
        if graph[source].kind == "constant":
            # A constant's node already shows its number, and no gradient flows back to it.
            dot.edge(_dot_id(source), _dot_id(target))
            continue
        middle = f"{_dot_id(target)}{LABEL_INFIX}{index}"
        colors = (
            theme.forward if progress.forward_known(source) else BLANK,
            theme.backward if progress.backward_known(target) else BLANK,
        )
        table = _edge_table(trace, options, theme, symbols, source, grad, grad_symbol, colors)
        dot.node(middle, label=table, shape="plaintext", style="", margin="0")
        entry, exit_ = ("w", "e") if options.rankdir == "LR" else ("n", "s")
        dot.edge(_dot_id(source), f"{middle}:{LINE_PORT}:{entry}", arrowhead="none")
        dot.edge(f"{middle}:{LINE_PORT}:{exit_}", _dot_id(target))
    return dot


@dataclass(frozen=True)
class _StepProgress:
    """The state a step frame shows: values computed so far, gradients sent so far, the active node."""

    computed: frozenset[str]
    differentiated: frozenset[str]
    active: str | None
    finished: bool
    # The nodes (and the output's terminal) that each value feeds, for gradient_known.
    consumers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def at(cls, trace: Trace, step: int | None) -> _StepProgress:
        if step is None:
            return cls(frozenset(), frozenset(), None, True)
        if not 0 <= step < len(trace.steps):
            raise SpecError(f"step {step} is out of range", hint=f"the passes have steps 0 to {len(trace.steps) - 1}")
        done = trace.steps[: step + 1]
        computed = {v.name for v in trace.graph.values.values() if v.is_leaf}
        computed |= {s.node for s in done if s.phase == "forward"}
        differentiated = {s.node for s in done if s.phase == "backward"}
        if trace.steps[step].phase == "backward":
            # The seed ∂L/∂output is given as soon as the backward pass starts.
            differentiated.add(trace.graph.output + OUTPUT_SUFFIX)
        graph = trace.graph
        consumers = {name: tuple(use for use, _ in graph.consumers(name)) for name in graph.values}
        consumers[graph.output] += (graph.output + OUTPUT_SUFFIX,)
        return cls(frozenset(computed), frozenset(differentiated), trace.steps[step].node, False, consumers)

    def forward_known(self, name: str) -> bool:
        return self.finished or name in self.computed

    def backward_known(self, consumer: str) -> bool:
        return self.finished or consumer in self.differentiated

    def gradient_known(self, name: str) -> bool:
        """Whether ∂L/∂name is complete: every use of `name` has sent its gradient back."""
        if self.finished:
            return True
        uses = self.consumers.get(name, ())
        return bool(uses) and all(use in self.differentiated for use in uses)


def _build_compact_dot(trace: Trace, options: RenderOptions, theme: Theme) -> graphviz.Digraph:
    """Build the compact figure: each node carries its value and total gradient, edges no label.

    Edge labels become extra nodes in dot's layout and take most of its time on large graphs,
    so this layout has none. It shows names and numbers but no formulas, because sympy needs
    seconds for thousands of values.
    """
    graph = trace.graph
    progress = _StepProgress.at(trace, options.step)
    dot = graphviz.Digraph(name=_dot_id(graph.name))
    background = "transparent" if options.transparent else theme.background
    dot.attr(rankdir=options.rankdir, bgcolor=background, nodesep="0.2", ranksep="0.3")
    dot.attr("node", fontname=options.font or theme.font, fontcolor=theme.forward, color=theme.node_line,
             style="filled", fillcolor=theme.node_fill, margin="0.05,0.02")
    dot.attr("edge", color=theme.node_line, arrowsize="0.6")

    for value in graph.values.values():
        attributes = _node_attributes(value, theme)
        if value.kind != "constant":
            attributes["label"] = _compact_label(trace, options, theme, progress, value)
            if value.kind == "node":
                attributes.update(shape="box", style="rounded,filled")
        if value.name == progress.active:
            attributes.update(fillcolor=theme.highlight, penwidth="2")
        dot.node(_dot_id(value.name), **attributes)
    for node in graph.nodes:
        for source in node.inputs:
            dot.edge(_dot_id(source), _dot_id(node.name))
    return dot


def _compact_label(
    trace: Trace, options: RenderOptions, theme: Theme, progress: _StepProgress, value: Value
) -> str:
    if value.kind == "node":
        symbol = value.label or REGISTRY[value.op or ""].symbol
        title = f"{symbol} {value.name}" if value.named else symbol
    else:
        title = value.name
    rows = [_row(_cell(title, theme.forward))]
    numbers = options.labels in ("numeric", "both")
    forward_color = theme.forward if progress.forward_known(value.name) else BLANK
    if numbers:
        rows += [_row(_cell(line, forward_color)) for line in format_array(trace.values[value.name], options.precision)
                 or []]
    if trace.values[value.name].ndim:
        rows.append(_row(_cell(format_shape(trace.values[value.name].shape), theme.shape, size=10)))
    grad = trace.grads[value.name]
    if numbers and grad is not None and not options.forward_only:
        backward_color = theme.backward if progress.gradient_known(value.name) else BLANK
        rows += [_row(_cell(line, backward_color, italic=theme.backward_italic))
                 for line in format_array(grad, options.precision) or []]
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>>'


def resolve_layout(value_count: int, options: RenderOptions) -> str:
    """Return "full" or "compact": the layout that `options` selects for this many values."""
    if options.layout == "auto":
        return "compact" if value_count > COMPACT_THRESHOLD else "full"
    return options.layout


def to_dot_source(trace: Trace, options: RenderOptions | None = None) -> str:
    """Return the DOT text of the figure of `trace`."""
    return build_dot(trace, options).source


@dataclass(frozen=True)
class _Symbols:
    forward: dict[str, str]
    edges: dict[tuple[str, int], str]
    output_grad: str


def _symbolic_text(trace: Trace, options: RenderOptions) -> _Symbols | None:
    if options.labels not in ("symbolic", "both"):
        return None
    # Imported here: computing labels imports sympy, about a quarter of a second.
    from graphviz_bp.annotations import annotations_for

    notes = annotations_for(trace.graph, max_length=options.max_label_length)
    return _Symbols(notes.forward, notes.edges, notes.grads[trace.graph.output])


def _node_attributes(value: Value, theme: Theme) -> dict[str, str]:
    if value.kind == "input":
        return {"label": _html_text(value.name, theme.forward), "shape": "plaintext", "style": ""}
    if value.kind == "constant":
        text = value.name if value.shape else format_number(value.data, 6)
        return {"label": _html_text(text, theme.forward), "shape": "plaintext", "style": ""}
    op = REGISTRY[value.op or ""]
    text = value.label or op.symbol
    # Graphviz halves the backslashes of a quoted tooltip twice before it substitutes escapes
    # such as \N (measured with Graphviz 14.1.5), so each backslash is written as four.
    # nohtml: the graphviz package would take a name such as <b>y</b> for an HTML-like label.
    tooltip = graphviz.nohtml(_printable(value.name).replace("\\", "\\" * 4))
    attributes = {"label": _html_text(text, theme.forward), "tooltip": tooltip}
    if op.layer or value.label:
        attributes.update(shape="box", style="rounded,filled", margin="0.15,0.1")
    else:
        attributes.update(shape="circle", margin="0.02")
    return attributes


def _edge_table(
    trace: Trace,
    options: RenderOptions,
    theme: Theme,
    symbols: _Symbols | None,
    source: str,
    grad: np.ndarray | None,
    grad_symbol: str | None,
    colors: tuple[str, str],
) -> str:
    forward_color, backward_color = colors
    value = trace.values[source]
    forward = _value_lines(options, value, symbols.forward[source] if symbols else None)
    backward: list[str] = []
    if not options.forward_only and grad is not None:
        backward = _value_lines(options, grad, grad_symbol)
    shape = format_shape(value.shape) if value.ndim else None

    if options.rankdir == "LR":
        rows = [_row(_cell(line, forward_color)) for line in forward]
        if shape:
            rows.append(_row(_cell(shape, theme.shape, size=10)))
        rows.append(_row(f'<TD PORT="{LINE_PORT}" BORDER="1" SIDES="B" COLOR="{theme.node_line}" HEIGHT="1"></TD>'))
        rows += [_row(_cell(line, backward_color, italic=theme.backward_italic)) for line in backward]
        body = "".join(rows)
    else:
        left = "<BR/>".join(_font(line, forward_color) for line in forward)
        if shape:
            left += ("<BR/>" if left else "") + _font(shape, theme.shape, size=10)
        right = "<BR/>".join(_font(line, backward_color, italic=theme.backward_italic) for line in backward)
        line_cell = f'<TD PORT="{LINE_PORT}" BORDER="1" SIDES="L" COLOR="{theme.node_line}" WIDTH="1"></TD>'
        body = _row(f'<TD ALIGN="RIGHT">{left}</TD>{line_cell}<TD ALIGN="LEFT">{right}</TD>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _value_lines(options: RenderOptions, array: np.ndarray, symbol: str | None) -> list[str]:
    """Lines of text for one value or gradient: its symbol, its numbers, or both."""
    if options.labels == "shapes":
        return []
    numbers = format_array(array, options.precision) if options.labels != "symbolic" else None
    if symbol is not None and numbers and array.ndim == 0:
        return [symbol if symbol == numbers[0] else f"{symbol} = {numbers[0]}"]
    return ([symbol] if symbol is not None else []) + (numbers or [])


def _row(cells: str) -> str:
    return f"<TR>{cells}</TR>"


def _cell(text: str, color: str, size: int | None = None, italic: bool = False) -> str:
    return f"<TD>{_font(text, color, size, italic)}</TD>"


def _font(text: str, color: str, size: int | None = None, italic: bool = False) -> str:
    size_attribute = f' POINT-SIZE="{size}"' if size else ""
    body = f"<I>{_html_escape(text)}</I>" if italic else _html_escape(text)
    return f'<FONT COLOR="{color}"{size_attribute}>{body}</FONT>'


def _html_text(text: str, color: str) -> str:
    return f'<<FONT COLOR="{color}">{_html_escape(text)}</FONT>>'


def _html_escape(text: str) -> str:
    # Graphviz substitutes escapes such as \N in HTML-label text too, and reads \\ as one backslash.
    return html.escape(_printable(text)).replace("\\", "\\\\")


# Characters that XML 1.0 forbids, which Graphviz's HTML-label parser (expat) rejects: C0
# controls other than tab and newlines, lone surrogates, U+FFFE and U+FFFF. Tab, newlines
# and DEL are legal XML but would be drawn as blanks. C0 controls and DEL are shown as
# their Unicode control pictures (U+2400 to U+2421), the others as U+FFFD.
_PRINTABLE = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421, 0xFFFE: 0xFFFD, 0xFFFF: 0xFFFD}
_PRINTABLE |= {code: 0xFFFD for code in range(0xD800, 0xE000)}


def _printable(text: str) -> str:
    """Return `text` with control characters and non-characters replaced by visible symbols."""
    return text.translate(_PRINTABLE)


# Characters that the graphviz package's quoting would misread in a node id: ':' separates a
# port, a backslash escapes the closing quote, and an id in <...> is taken as HTML.
_ID_UNSAFE = frozenset('%:\\"<>')


def _dot_id(name: str) -> str:
    """Return the DOT node id of `name`: the name itself unless it contains unsafe characters.

    Unsafe characters, controls and surrogates become `%XX;` (hex code point), so distinct
    names keep distinct ids. Figures show names through labels and tooltips, never through ids.
    """
    return "".join(f"%{ord(char):X};" if _is_id_unsafe(char) else char for char in name)


def _is_id_unsafe(char: str) -> bool:
    return char in _ID_UNSAFE or ord(char) in _PRINTABLE


