"""Symbolic forward expressions and edge gradients, printed as the textbook writes them.

Each value gets a display expression: its name when the user named it, otherwise the op's
forward expression of its inputs (`−x`, `exp(−x)`, `1+exp(−x)`). Each edge gets the gradient
flowing back along it, `upstream · local derivative`, with the upstream symbol first
(`−∂L/∂y·y²·exp(−x)`, `∂L/∂Y·Wᵀ`).

Scalars are commutative sympy symbols; arrays are noncommutative, so that `Xᵀ·∂L/∂Y` keeps
its order. sympy is imported only when this module is, which the CLI does only for
symbolic labels, because the import alone costs about a quarter of a second.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import sympy as sp

from graphviz_bp.annotations import Annotations
from graphviz_bp.graph import Graph, Value
from graphviz_bp.limits import DEFAULT_MAX_LABEL_LENGTH
from graphviz_bp.ops import REGISTRY

# Printed expressions longer than this many characters are replaced by a name: an unnamed
# value by its node name, a gradient by ∂L/∂(name). This keeps deep graphs readable.
DEFAULT_MAX_LENGTH = DEFAULT_MAX_LABEL_LENGTH

# An edge label longer than this multiple of the limit is written as ∂L/∂(input) instead,
# so that no label of a figure grows without bound.
EDGE_LENGTH_FACTOR = 2
GRAD_PREFIX = "∂L/∂"
MINUS = "−"
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class Transpose(sp.Function):
    """The matrix transpose, printed with a superscript T."""

    nargs = 1


class Positive(sp.Function):
    """The ReLU mask: 1 where the argument is positive, 0 elsewhere, printed `[x>0]`."""

    nargs = 1


class ReduceSum(sp.Function):
    """A sum over one axis (second argument) or over all elements (no second argument)."""


def _make_toolkit() -> SimpleNamespace:
    named = {name: sp.Function(name) for name in ("relu", "softmax", "cross_entropy", "mse", "mean")}

    def sum_axis(expr: Any, axis: int | None) -> Any:
        return ReduceSum(expr) if axis is None else ReduceSum(expr, sp.Integer(axis))

    return SimpleNamespace(
        exp=sp.exp,
        log=sp.log,
        tanh=sp.tanh,
        Integer=sp.Integer,
        # A symbol of its own (integer, positive) so that a user value named N stays distinct.
        N=sp.Symbol("N", integer=True, positive=True),
        T=Transpose,
        positive=Positive,
        sum_axis=sum_axis,
        sigmoid=sp.Function("σ"),
        softmax_with_loss=sp.Function("SoftmaxWithLoss"),
        **named,
    )


TOOLKIT = _make_toolkit()


def annotate(graph: Graph, max_length: int = DEFAULT_MAX_LENGTH) -> Annotations:
    """Build the symbolic forward label of every value and gradient label of every edge."""
    from graphviz_bp.engine import differentiable_values

    display: dict[str, Any] = {}
    expanded = _NamedExpressions()
    for value in graph.values.values():
        display[value.name] = _display_expr(value, display, expanded, max_length)

    needs = differentiable_values(graph)
    output = graph[graph.output]
    totals: dict[str, Any] = {output.name: _upstream_symbol(output, display[output.name])}
    upstream: dict[str, Any] = {}
    edges: dict[tuple[str, int], str] = {}

    for node in reversed(graph.nodes):
        if node.name not in needs or node.name not in totals:
            continue
        upstream[node.name] = _bounded_upstream(node, graph, totals[node.name], display, max_length)
        op = REGISTRY[node.op or ""]
        args = tuple(display[src] for src in node.inputs)
        shapes = tuple(graph[src].shape for src in node.inputs)
        for slot, source in enumerate(node.inputs):
            if source not in needs:
                continue
            grad = op.grad_expr(TOOLKIT, slot, upstream[node.name], args, display[node.name], node.params, shapes)
            if op.elementwise and graph[source].shape != node.shape:
                grad = _sum_broadcast_axes(grad, graph[source].shape, node.shape)
            grad = expanded.collapse(grad)
            text = to_text(grad)
            if len(text) > EDGE_LENGTH_FACTOR * max_length:
                text = GRAD_PREFIX + _grad_name(display[source])
            edges[(node.name, slot)] = text
            totals[source] = grad if source not in totals else totals[source] + grad

    grads = {name: to_text(expr) for name, expr in totals.items()}
    forward = {name: to_text(expr) for name, expr in display.items()}
    return Annotations(forward=forward, edges=edges, grads=grads)


def _sum_broadcast_axes(grad: Any, shape: tuple[int, ...], out_shape: tuple[int, ...]) -> Any:
    """Wrap `grad` in the sum over the axes that broadcasting added or stretched."""
    extra = len(out_shape) - len(shape)
    axes = list(range(extra)) + [extra + i for i, size in enumerate(shape) if size == 1 and out_shape[extra + i] != 1]
    if len(axes) == 1:
        return ReduceSum(grad, sp.Integer(axes[0]))
    if len(axes) == len(out_shape):
        return ReduceSum(grad)
    return ReduceSum(grad, sp.Tuple(*[sp.Integer(axis) for axis in axes]))


def _symbol(name: str, value: Value) -> sp.Symbol:
    return sp.Symbol(name, commutative=value.shape == ())


def _display_expr(value: Value, display: dict[str, Any], expanded: _NamedExpressions, max_length: int) -> Any:
    if value.kind == "constant" and value.shape == ():
        number = float(value.data)
        return sp.Integer(int(number)) if number.is_integer() else sp.Float(number, 6)
    if value.is_leaf:
        return _symbol(value.name, value)

    op = REGISTRY[value.op or ""]
    expr = op.forward_expr(TOOLKIT, tuple(display[src] for src in value.inputs), value.params)
    if value.named or len(to_text(expr)) > max_length:
        symbol = _symbol(value.name, value)
        if not expr.is_Atom:
            expanded.add(expr, symbol)
        return symbol
    return expr


def _upstream_symbol(value: Value, display: Any) -> Any:
    # The loss itself: ∂L/∂L = 1, which the textbook writes as 1 at the output.
    if value.name == "L":
        return sp.Integer(1)
    return sp.Symbol(GRAD_PREFIX + _grad_name(display), commutative=value.shape == ())


def _grad_name(display: Any) -> str:
    text = to_text(display)
    return text if display.is_Symbol else f"({text})"


def _bounded_upstream(node: Value, graph: Graph, total: Any, display: dict[str, Any], max_length: int) -> Any:
    """Return ∂L/∂node as an expression, or as the symbol ∂L/∂name when it is too long."""
    if node.name == graph.output or len(to_text(total)) <= max_length:
        return total
    return sp.Symbol(GRAD_PREFIX + _grad_name(display[node.name]), commutative=node.shape == ())


class _NamedExpressions:
    """The forward expressions of named values, indexed by the symbols they contain.

    A gradient can contain a named value's expression only if it contains all of that
    expression's symbols, so only those few candidates are tried: a graph with thousands of
    named values stays linear instead of trying every name on every edge.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[Any, frozenset[Any], Any]] = []
        self._by_symbol: dict[Any, list[int]] = {}

    def add(self, full: Any, symbol: Any) -> None:
        free = frozenset(full.free_symbols)
        for name in free:
            self._by_symbol.setdefault(name, []).append(len(self._entries))
        self._entries.append((full, free, symbol))

    def collapse(self, expr: Any) -> Any:
        """Write subexpressions that equal a named value as that name: 1/(1+exp(−x))² becomes y²."""
        free = expr.free_symbols
        candidates = sorted({index for name in free for index in self._by_symbol.get(name, ())})
        for index in candidates:
            full, needed, symbol = self._entries[index]
            if needed <= free:
                expr = expr.subs(full, symbol)
        return expr


def to_text(expr: Any) -> str:
    """Print a sympy expression in the textbook's notation: −, ·, superscripts, ᵀ, ∂L/∂y first."""
    return _print(sp.sympify(expr))


def _print(expr: Any) -> str:
    if expr.is_Symbol:
        return expr.name
    if expr.is_Number:
        return _print_number(expr)
    if expr.is_Add:
        return _print_add(expr)
    if expr.is_Mul:
        return _print_mul(expr)
    if expr.is_Pow:
        return _print_power(expr.base, expr.exp)
    if isinstance(expr, Transpose):
        return _wrap_unless_atomic(expr.args[0]) + "ᵀ"
    if isinstance(expr, Positive):
        return f"[{_print(expr.args[0])}>0]"
    if isinstance(expr, ReduceSum):
        inner = _print(expr.args[0])
        if len(expr.args) == 1:
            return f"sum({inner})"
        return f"sum({inner}, axis={_print(expr.args[1])})"
    if isinstance(expr, sp.Function):
        name = type(expr).__name__
        return f"{name}({', '.join(_print(arg) for arg in expr.args)})"
    return str(expr).replace("-", MINUS)


def _print_number(number: Any) -> str:
    if number.is_Integer:
        text = str(int(number))
    elif number.is_Rational:
        text = f"{number.p}/{number.q}"
    else:
        text = f"{float(number):g}"
    return text.replace("-", MINUS)


def _print_add(expr: Any) -> str:
    # Numbers first, then positive terms: 1+exp(−x), 1−y, softmax(h)−t.
    terms = sorted(expr.as_ordered_terms(), key=lambda term: (not term.is_Number, term.could_extract_minus_sign()))
    text = ""
    for term in terms:
        if term.could_extract_minus_sign():
            text += MINUS + _print(-term)
        else:
            text += ("+" if text else "") + _print(term)
    return text


def _is_gradient_symbol(factor: Any) -> bool:
    return factor.is_Symbol and factor.name.startswith(GRAD_PREFIX)


def _print_mul(expr: Any) -> str:
    sign = ""
    if expr.could_extract_minus_sign():
        sign, expr = MINUS, -expr
        if not expr.is_Mul:
            return sign + _wrap_if_sum(expr)

    commutative, ordered = expr.args_cnc()
    coefficient = [f for f in commutative if f.is_Number]
    gradients = [f for f in commutative if _is_gradient_symbol(f)]
    rest = [f for f in commutative if not f.is_Number and not _is_gradient_symbol(f)]
    numerator = [f for f in rest if not _is_reciprocal(f)]
    denominator = [1 / f for f in rest if _is_reciprocal(f)]
    # The upstream gradient comes first, as in the textbook: ∂L/∂y·2·x, ∂L/∂Y·Wᵀ.
    factors = [*gradients, *coefficient, *numerator, *ordered]

    has_gradient = bool(gradients) or any(_contains_gradient(f) for f in ordered)
    if denominator and has_gradient:
        # Next to ∂L/∂y a slash reads as part of the symbol, so use a negative power instead.
        factors += [f**-1 for f in denominator]
        denominator = []

    text = _join_factors(factors) if factors else "1"
    if denominator:
        den = _join_factors(denominator)
        if len(denominator) > 1 or denominator[0].is_Add or denominator[0].is_Mul:
            den = f"({den})"
        text = f"{text}/{den}"
    return sign + text


def _is_reciprocal(factor: Any) -> bool:
    return factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative


def _contains_gradient(expr: Any) -> bool:
    return any(_is_gradient_symbol(symbol) for symbol in expr.free_symbols)


def _join_factors(factors: list[Any]) -> str:
    text = ""
    previous = None
    for factor in factors:
        piece = _wrap_if_sum(factor)
        if previous is None:
            text = piece
        elif factor.is_Add and previous.is_Symbol and not _is_gradient_symbol(previous):
            # y(1−y): a short symbol before a bracket reads as a product without a dot.
            text += piece
        else:
            text += "·" + piece
        previous = factor
    return text


def _wrap_if_sum(expr: Any) -> str:
    text = _print(expr)
    return f"({text})" if expr.is_Add else text


def _wrap_unless_atomic(expr: Any) -> str:
    text = _print(expr)
    return text if expr.is_Symbol or expr.is_Function else f"({text})"


def _print_power(base: Any, exponent: Any) -> str:
    if base.is_Symbol and _is_gradient_symbol(base) or not (base.is_Symbol or base.is_Function):
        base_text = f"({_print(base)})"
    else:
        base_text = _print(base)
    if exponent.is_Integer:
        return base_text + str(int(exponent)).translate(SUPERSCRIPTS)
    return f"{base_text}^({_print(exponent)})"
