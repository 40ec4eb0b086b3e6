"""The step-through model: what is known after each step of a Trace, as plain data.

A Walkthrough is built once from a Trace. A StepState is a position in it, and every view
(the full-screen frame, the transcript, the tests) is a function of a StepState. Nothing
here imports rich.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from graphviz_bp.engine import Step, Trace
from graphviz_bp.figure.labels import MINUS, format_array, format_number, format_shape
from graphviz_bp.ops import REGISTRY

if TYPE_CHECKING:
    from graphviz_bp.annotations import Annotations

# The key of the edge from the output value to the figure's terminal, which carries the seed.
OUTPUT_SLOT_NODE = "#output"
GRAD_PREFIX = "∂L/∂"
# Text roles: how a piece of text is colored on screen ("forward" and "backward" follow the figure).
Role = Literal["plain", "forward", "backward", "symbol", "note"]
Segment = tuple[str, Role]
Line = tuple[Segment, ...]
# Matrices in the step panel show at most this many rows and columns.
MAX_MATRIX_ROWS = 6
MAX_MATRIX_COLUMNS = 6

_SIMPLE_TEXT = re.compile(r"^[\w#.ᵀ]+$")
_CALL_TEXT = re.compile(r"^[\w.]+\(.*\)$")


@dataclass(frozen=True)
class Edge:
    """An edge of the figure: `source`'s value flowing into input `slot` of `target`.

    `target` is OUTPUT_SLOT_NODE for the edge after the output, whose gradient is the seed.
    """

    source: str
    target: str
    slot: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.target, self.slot)


class Walkthrough:
    """The steps of a Trace with the labels and step indices that every frame needs.

    With `notes` (from graphviz_bp.annotations.annotations_for) the frames show symbolic expressions;
    without them, names only.
    """

    def __init__(self, trace: Trace, notes: Annotations | None = None, precision: int = 4) -> None:
        self.trace = trace
        self.graph = trace.graph
        self.notes = notes
        self.precision = precision
        self.steps: tuple[Step, ...] = trace.steps
        self.forward_index = {s.node: s.index for s in self.steps if s.phase == "forward"}
        self.backward_index = {s.node: s.index for s in self.steps if s.phase == "backward"}
        backward = [s.index for s in self.steps if s.phase == "backward"]
        self.first_backward: int | None = backward[0] if backward else None

        edges = [Edge(src, node.name, slot) for node in self.graph.nodes for slot, src in enumerate(node.inputs)]
        edges.append(Edge(self.graph.output, OUTPUT_SLOT_NODE, 0))
        self.edges: tuple[Edge, ...] = tuple(edges)
        self._templates = {node.name: _expression_template(node, self.graph) for node in self.graph.nodes}

    def __len__(self) -> int:
        return len(self.steps)

    def label(self, name: str) -> str:
        """Return the printed name of a value: its name, or its expression when it was not named."""
        value = self.graph[name]
        if self.notes is not None:
            return self.notes.forward[name]
        if value.kind == "constant" and value.shape == ():
            return format_number(value.data, 6)
        return name

    def grad_label(self, name: str) -> str:
        """∂L/∂name, with the expression in brackets when it is more than a name."""
        text = self.label(name)
        return GRAD_PREFIX + (text if _SIMPLE_TEXT.match(text) else f"({text})")

    def op_label(self, name: str) -> str:
        """Return the op's symbol as the figure prints it (a node's `label` overrides it)."""
        value = self.graph[name]
        if value.kind != "node":
            return self.label(name)
        return value.label or REGISTRY[value.op or ""].symbol

    def expression(self, name: str) -> str | None:
        """Return the op applied to its inputs' labels (`1/(1+exp(−x))`), or None without symbolic notes."""
        template = self._templates.get(name)
        if template is None or self.notes is None:
            return None
        return _fill(template, [self.label(src) for src in self.graph[name].inputs])

    def substituted(self, name: str) -> str | None:
        """Return the op applied to its inputs' numbers (`1/1.607`), or None unless every input is a scalar."""
        template = self._templates.get(name)
        inputs = self.graph[name].inputs
        if template is None or any(self.trace.values[src].ndim for src in inputs):
            return None
        return _fill(template, [self.number(self.trace.values[src]) for src in inputs])

    def number(self, array: Any) -> str:
        return format_number(array, self.precision)

    def edge_grad(self, edge: Edge) -> np.ndarray | None:
        if edge.target == OUTPUT_SLOT_NODE:
            return self.trace.seed
        return self.trace.edge_grads.get(edge.key)

    def edge_symbol(self, edge: Edge) -> str | None:
        if self.notes is None:
            return None
        if edge.target == OUTPUT_SLOT_NODE:
            return self.notes.grads.get(edge.source)
        return self.notes.edges.get(edge.key)

    def grad_sources(self, name: str) -> list[tuple[str, int]]:
        """Return the uses of `name` that send it a gradient, in the order the engine sums them."""
        uses = [use for use in reversed(self.graph.consumers(name)) if self.trace.edge_grads.get(use) is not None]
        return uses

    @cached_property
    def local_derivatives(self) -> dict[tuple[str, int], float]:
        """∂node/∂input for every scalar node and scalar input, from the op's backward with a seed of 1."""
        result: dict[tuple[str, int], float] = {}
        values = self.trace.values
        for node in self.graph.nodes:
            inputs = tuple(values[src] for src in node.inputs)
            if node.name not in self.backward_index or values[node.name].ndim or any(x.ndim for x in inputs):
                continue
            op = REGISTRY[node.op or ""]
            needs = tuple(self.trace.edge_grads.get((node.name, slot)) is not None for slot in range(len(inputs)))
            with np.errstate(all="ignore"):
                _, cache = op.forward(inputs, node.params)
                grads = op.backward(np.ones(()), cache, needs, node.params)
            for slot, grad in enumerate(grads):
                if grad is not None:
                    result[(node.name, slot)] = float(np.sum(grad))
        return result


@dataclass(frozen=True)
class StepState:
    """A position in a Walkthrough: step `position` (0-based) has just been computed."""

    walk: Walkthrough
    position: int = 0

    # Navigation returns a new state, with the position clamped to the steps that exist.
    def go(self, position: int) -> StepState:
        last = max(len(self.walk) - 1, 0)
        return dataclasses.replace(self, position=min(max(position, 0), last))

    def next(self) -> StepState:
        return self.go(self.position + 1)

    def previous(self) -> StepState:
        return self.go(self.position - 1)

    def first(self) -> StepState:
        return self.go(0)

    def last(self) -> StepState:
        return self.go(len(self.walk) - 1)

    def first_backward(self) -> StepState:
        if self.walk.first_backward is None:
            return self
        return self.go(self.walk.first_backward)

    @property
    def step(self) -> Step:
        return self.walk.steps[self.position]

    @property
    def is_last(self) -> bool:
        return self.position >= len(self.walk) - 1

    def value_known(self, name: str) -> bool:
        index = self.walk.forward_index.get(name)
        return index is None or index <= self.position

    def backward_done(self, node: str) -> bool:
        index = self.walk.backward_index.get(node)
        return index is not None and index <= self.position

    def edge_value(self, edge: Edge) -> np.ndarray | None:
        """Return the forward value shown above `edge`, once its source is computed."""
        if edge.target != OUTPUT_SLOT_NODE and self.walk.graph[edge.source].kind == "constant":
            return None
        return self.walk.trace.values[edge.source] if self.value_known(edge.source) else None

    def edge_grad(self, edge: Edge) -> np.ndarray | None:
        """Return the gradient shown below `edge`, once the backward step that sends it is done."""
        if edge.target == OUTPUT_SLOT_NODE:
            first = self.walk.first_backward
            return self.walk.trace.seed if first is not None and first <= self.position else None
        return self.walk.edge_grad(edge) if self.backward_done(edge.target) else None

    def grad(self, name: str) -> tuple[np.ndarray | None, bool]:
        """∂L/∂name summed over the uses whose backward steps are done, and whether all are.

        Once complete, the array is the engine's own `grads[name]`.
        """
        walk = self.walk
        if name == walk.graph.output:
            first = walk.first_backward
            return (walk.trace.seed, True) if first is not None and first <= self.position else (None, False)
        uses = walk.grad_sources(name)
        done = [use for use in uses if self.backward_done(use[0])]
        if not uses or not done:
            return None, False
        if len(done) == len(uses):
            return walk.trace.grads[name], True
        total = None
        for use in done:
            grad = walk.trace.edge_grads[use]
            total = grad if total is None else total + grad
        return total, False

    def is_active_edge(self, edge: Edge) -> bool:
        """Return whether the current step computed the value or gradient on `edge`."""
        step = self.step
        if step.phase == "forward":
            return edge.source == step.node
        if edge.target == OUTPUT_SLOT_NODE:
            return step.node == edge.source and self.position == self.walk.first_backward
        return edge.target == step.node

    def title(self) -> str:
        walk = self.walk
        step = self.step
        in_phase = [s for s in walk.steps if s.phase == step.phase]
        number = in_phase.index(step) + 1
        return f"{step.phase.capitalize()} step {number} of {len(in_phase)}: {walk.op_label(step.node)}"

    def progress(self) -> str:
        step = self.step
        n = len(self.walk)
        return f"Step {self.position + 1} of {n} · {step.phase} pass"

    def detail(self) -> list[Line]:
        """Write out the current step, symbolic then numeric, one Line per equation."""
        if self.step.phase == "forward":
            return self._forward_detail()
        return self._backward_detail()

    def _forward_detail(self) -> list[Line]:
        walk = self.walk
        name = self.step.node
        value = walk.trace.values[name]
        parts: list[Segment] = [(walk.label(name), "forward")]
        expression = walk.expression(name)
        if expression is not None and expression != walk.label(name):
            parts += [(" = ", "plain"), (expression, "symbol")]
        substituted = walk.substituted(name)
        # −x with x = 0.5 substitutes to −0.5, which the result repeats, so it is left out.
        if substituted is not None and (value.ndim or substituted != walk.number(value)):
            parts += [(" = ", "plain"), (substituted, "plain")]
        lines = _equals_array(parts, value, "forward", walk.precision)
        if value.ndim:
            lines.append(((f"shape {format_shape(value.shape)}", "note"),))
        return lines

    def _backward_detail(self) -> list[Line]:
        walk = self.walk
        name = self.step.node
        lines: list[Line] = []
        if name == walk.graph.output:
            seed = walk.trace.seed
            seed_lines = _equals_array([(walk.grad_label(name), "backward")], seed, "backward", walk.precision)
            seed_lines[0] = (*seed_lines[0], ("  (the seed)", "note"))
            lines += seed_lines
        upstream, _ = self.grad(name)
        for slot, source in enumerate(walk.graph[name].inputs):
            edge = Edge(source, name, slot)
            grad = walk.edge_grad(edge)
            if grad is None:
                continue
            parts: list[Segment] = [(walk.grad_label(source), "backward")]
            symbol = walk.edge_symbol(edge)
            if symbol is not None:
                parts += [(" = ", "plain"), (symbol, "symbol")]
            local = walk.local_derivatives.get(edge.key)
            if local is not None and upstream is not None:
                product = f"{_wrapped_number(walk, upstream)} × {_wrapped_number(walk, local)}"
                parts += [(" = ", "plain"), (product, "plain")]
            lines += _equals_array(parts, grad, "backward", walk.precision)
            uses = walk.grad_sources(source)
            if len(uses) > 1:
                count = [use[0] for use in uses].index(name) + 1
                lines.append(((f"  adds use {count} of {len(uses)} to {walk.grad_label(source)}", "note"),))
        return lines


def short_text(array: np.ndarray | None, precision: int, max_width: int = 16) -> str:
    """Format one line for a table cell or an edge: the numbers when they fit in `max_width`, else the shape."""
    if array is None:
        return ""
    lines = format_array(array, precision)
    if lines is not None and len(lines) == 1 and len(lines[0]) <= max_width:
        return lines[0]
    return format_shape(array.shape)


def format_matrix(array: np.ndarray, precision: int) -> list[str]:
    """Aligned rows of at most MAX_MATRIX_ROWS × MAX_MATRIX_COLUMNS numbers, with … for the rest."""
    matrix = np.atleast_2d(array) if array.ndim <= 2 else array.reshape(array.shape[0], -1)
    rows = matrix[:MAX_MATRIX_ROWS]
    cells = [[format_number(x, precision) for x in row[:MAX_MATRIX_COLUMNS]] for row in rows]
    width = max((len(cell) for row in cells for cell in row), default=1)
    more_columns = matrix.shape[1] > MAX_MATRIX_COLUMNS
    lines = []
    for row in cells:
        text = " ".join(cell.rjust(width) for cell in row)
        lines.append("[" + text + (" …" if more_columns else "") + "]")
    if matrix.shape[0] > MAX_MATRIX_ROWS:
        lines.append(f" … {matrix.shape[0] - MAX_MATRIX_ROWS} more rows")
    return lines


def _equals_array(parts: list[Segment], array: np.ndarray, role: Role, precision: int) -> list[Line]:
    """End `parts` with `= number` for a scalar, or put the array's rows on the lines below."""
    if array.ndim == 0:
        return [(*parts, (" = ", "plain"), (format_number(array, precision), role))]
    rows = format_matrix(array, precision)
    return [tuple(parts), *[((("    " + row), role),) for row in rows]]


def _wrapped_number(walk: Walkthrough, x: Any) -> str:
    text = walk.number(x)
    return f"({text})" if text.startswith(MINUS) else text


def _expression_template(node: Any, graph: Any) -> str | None:
    """Print the op's forward expression with the placeholder @i@ for input i, printed by symbolic.to_text."""
    # Imported here because sympy is slow to import, and only symbolic frames need it.
    import sympy as sp

    from graphviz_bp.symbolic import TOOLKIT, to_text

    op = REGISTRY[node.op or ""]
    # Constants get placeholders too: the number 1 would let sympy print 1/z as z⁻¹.
    args = [sp.Symbol(f"@{index}@", commutative=graph[source].shape == ()) for index, source in enumerate(node.inputs)]
    try:
        return to_text(op.forward_expr(TOOLKIT, tuple(args), node.params))
    except NotImplementedError:
        return None


def _fill(template: str, texts: list[str]) -> str:
    """Replace each placeholder @i@ with texts[i], bracketed unless it is a name, a number or a call."""
    result = template
    for index, text in enumerate(texts):
        marker = f"@{index}@"
        position = result.find(marker)
        while position >= 0:
            before = result[position - 1] if position > 0 else ""
            after = result[position + len(marker)] if position + len(marker) < len(result) else ""
            alone = result == marker or (before in "(, " and after in "),")
            needs_brackets = not (alone or _SIMPLE_TEXT.match(text) or _is_call(text))
            piece = f"({text})" if needs_brackets else text
            result = result[:position] + piece + result[position + len(marker) :]
            position = result.find(marker, position + len(piece))
    return result


def _is_call(text: str) -> bool:
    """Return whether `text` is one call such as exp(−x), whose first bracket closes at its end."""
    if not _CALL_TEXT.match(text):
        return False
    depth = 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position == len(text) - 1
    return False
