"""Build graphs in Python with expressions that read like the math.

    import graphviz_bp as bp

    with bp.Network("sigmoid") as net:
        x = net.input("x", 0.5)
        y = net.node("y", 1 / (1 + bp.exp(-x)))
        net.output(y)
    graph = net.build()

Operators and op functions return a `Tensor`: a pending expression whose shape is checked
when it is written. `Network.node` names an expression and turns it into graph values as
the YAML front end turns the text of a node into values. Python numbers become unnamed
constant leaves. Every unnamed subexpression gets the name `node#k`, numbered in the order
that `spec/expressions.py` uses (operands first, left to right). So a network written here
and the same network written in YAML give identical figures.

An unnamed expression used by several nodes is added once, under the first node that uses
it, and is shared after that.
"""

from __future__ import annotations

import contextvars
import dataclasses
import itertools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphviz_bp.errors import GraphError, GraphvizBPError, Location, ShapeError, SpecError, did_you_mean
from graphviz_bp.graph import Graph, Value, leaf
from graphviz_bp.ops import REGISTRY, Shape, get_op
from graphviz_bp.spec import arrays
from graphviz_bp.spec.expressions import GENERATED_SEPARATOR, invalid_name_reason

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# Python operators and the ops they build; the text is what an unnamed expression prints.
_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}
# Binding strength of each printed form, used only to place parentheses in printed text.
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4}
_ATOM = 5

# The networks of the enclosing `with Network(...)` blocks, innermost last. An op called on
# numbers only (such as `exp(2)`) has no tensor to take its network from and uses this.
_ACTIVE: contextvars.ContextVar[tuple[Network, ...]] = contextvars.ContextVar("graphviz_bp_networks", default=())
# The element limit for inputs; `spec.load` sets it from --max-elements while a .py spec runs.
MAX_ELEMENTS: contextvars.ContextVar[int] = contextvars.ContextVar(
    "graphviz_bp_max_elements", default=arrays.DEFAULT_MAX_ELEMENTS
)


def user_location() -> Location | None:
    """Return the file, line and column of the innermost caller outside the graphviz_bp package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    column = 1
    # co_positions has one entry per 2-byte code unit, so f_lasti // 2 is the current instruction.
    position = next(itertools.islice(frame.f_code.co_positions(), frame.f_lasti // 2, None), None)
    if position is not None and position[2] is not None:
        column = position[2] + 1
    return Location(frame.f_code.co_filename, frame.f_lineno, column)


class Tensor:
    """A value of a Network: an input, a named node, or a pending unnamed expression.

    Supports `+ - * / ** @`, unary minus and `.T`, with Tensors or Python numbers on either
    side. `name` is None until the expression becomes part of the graph, and `str()` prints
    a named value as its name and an unnamed one as its expression.
    """

    # NumPy defers to the reflected operators (np.float64(2) * x calls x.__rmul__).
    __array_ufunc__ = None

    def __init__(
        self,
        network: Network,
        *,
        shape: Shape,
        text: str,
        precedence: int,
        location: Location | None,
        name: str | None = None,
        op: str | None = None,
        operands: tuple[Tensor, ...] = (),
        params: dict[str, Any] | None = None,
        number: float | None = None,
        requires_grad: bool = False,
    ) -> None:
        self.network = network
        self.shape = shape
        self.name = name
        self.op = op
        self.operands = operands
        self.params = params or {}
        self.number = number
        self.requires_grad = requires_grad
        self.location = location
        self._text = text
        self._precedence = precedence

    def __str__(self) -> str:
        return self.name if self.name is not None else self._text

    def __repr__(self) -> str:
        return f"Tensor({str(self)!r}, shape={self.shape})"

    def __bool__(self) -> bool:
        raise SpecError(
            f"the truth value of {self} is unknown while the network is built",
            location=user_location(),
            hint="tensors are symbolic: `if` and `and`/`or` cannot test them",
        )

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name for the transpose
        """The transpose, the `transpose` op."""
        return _apply("transpose", (self,), {})

    def __neg__(self) -> Tensor:
        return _apply("neg", (self,), {})

    def __pos__(self) -> Tensor:
        return self

    def __add__(self, other: Any) -> Tensor:
        return _apply("add", (self, other), {})

    def __radd__(self, other: Any) -> Tensor:
        return _apply("add", (other, self), {})

    def __sub__(self, other: Any) -> Tensor:
        return _apply("sub", (self, other), {})

    def __rsub__(self, other: Any) -> Tensor:
        return _apply("sub", (other, self), {})

    def __mul__(self, other: Any) -> Tensor:
        return _apply("mul", (self, other), {})

    def __rmul__(self, other: Any) -> Tensor:
        return _apply("mul", (other, self), {})

    def __truediv__(self, other: Any) -> Tensor:
        return _apply("div", (self, other), {})

    def __rtruediv__(self, other: Any) -> Tensor:
        return _apply("div", (other, self), {})

    def __pow__(self, other: Any) -> Tensor:
        return _apply("pow", (self, other), {})

    def __rpow__(self, other: Any) -> Tensor:
        return _apply("pow", (other, self), {})

    def __matmul__(self, other: Any) -> Tensor:
        return _apply("matmul", (self, other), {})

    def __rmatmul__(self, other: Any) -> Tensor:
        return _apply("matmul", (other, self), {})


class Network:
    """A graph under construction: declare inputs, name nodes, choose the output.

    Use it as a context manager to build and validate the graph when the block ends, and
    to let op calls on plain numbers (`exp(2)`) know their network. `build()` returns the
    immutable Graph, which `run`, `to_dot` and `render` take.
    """

    def __init__(self, name: str = "graph", *, description: str = "") -> None:
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"a network name must be non-empty text, got {name!r}", location=user_location())
        self.name = name
        self.description = description
        self._values: list[Value] = []
        self._tensors: dict[str, Tensor] = {}
        self._output: str | None = None
        self._output_location: Location | None = None
        self._seed: Any = None
        self._graph: Graph | None = None
        self._token: contextvars.Token | None = None

    def __repr__(self) -> str:
        return f"Network({self.name!r}, {len(self._values)} values, output={self._output!r})"

    def __enter__(self) -> Network:
        self._token = _ACTIVE.set((*_ACTIVE.get(), self))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        if exc_type is None:
            self.build()

    def __getitem__(self, name: str) -> Tensor:
        """Return the input or node called `name`."""
        try:
            return self._tensors[name]
        except KeyError:
            raise GraphError(
                f"network {self.name!r} has no value {name!r}",
                location=user_location(),
                hint=did_you_mean(name, self._tensors) or "declare it with input() or node()",
            ) from None

    def input(
        self,
        name: str,
        value: Any = None,
        *,
        shape: int | Sequence[int] | None = None,
        init: str = "randn",
        seed: int | None = 0,
        scale: float = 1.0,
        grad: bool = True,
    ) -> Tensor:
        """Declare an input: a number, nested list or NumPy array, or an array generated from `shape`.

        `init` is one of zeros, ones, randn, uniform, arange (see `spec.arrays.generate`), with
        `seed` and `scale` as in YAML. `grad=False` makes an input that gets no gradient,
        such as the labels of a loss.
        """
        location = user_location()
        self._check_new_name(name, location)
        what = f"input {name!r}"
        try:
            if not isinstance(grad, bool):
                raise SpecError(f"`grad` of {what} must be True or False, got {grad!r}")
            data = self._input_data(value, shape, init, seed, scale, what)
        except GraphvizBPError as error:
            error.location = error.location or location
            raise
        return self._add_leaf(leaf(name, data, requires_grad=grad, location=location))

    def constant(self, name: str, value: float) -> Tensor:
        """Declare a named constant, like a YAML node whose value is a number."""
        location = user_location()
        self._check_new_name(name, location)
        number = _number(value, f"constant {name!r}", location)
        return self._add_leaf(leaf(name, number, constant=True, location=location))

    def node(
        self, name: str, expression: Tensor | float, *, label: str | None = None, expand: bool = False
    ) -> Tensor:
        """Name `expression` and add it, with its unnamed subexpressions, to the graph.

        `label` replaces the op's symbol in figures. `expand=True` draws a sigmoid, affine
        or softmax_with_loss node as its primitive ops, as `expand: true` does in YAML. A
        number makes a named constant.
        """
        location = user_location()
        self._check_new_name(name, location)
        if not isinstance(expression, Tensor):
            if not _is_number(expression):
                raise SpecError(
                    f"node {name!r} must be a Tensor or a number, got {expression!r}",
                    location=location,
                    hint="build expressions from the network's inputs, nodes and plain numbers",
                )
            if label is not None:
                raise SpecError(f"node {name!r} is a constant and cannot have a label", location=location)
            return self.constant(name, expression)
        self._check_member(expression, location)
        if expression.name is not None:
            raise SpecError(
                f"node {name!r} is only the value {expression.name!r}, not an operation",
                location=location,
                hint=f"use {expression.name!r} directly where {name!r} is needed",
            )
        values = _flatten(expression, name)
        root = values[-1]
        values[-1] = dataclasses.replace(
            root,
            name=name,
            named=True,
            label=None if label is None else str(label),
            location=location,
            expand=bool(expand),
        )
        for value in values:
            self._values.append(value)
        self._graph = None
        expression.name = name
        self._tensors[name] = expression
        return expression

    def output(self, value: Tensor | str, *, seed: Any = None) -> None:
        """Choose the output, and optionally the seed ∂L/∂output (default: ones of its shape)."""
        location = user_location()
        if isinstance(value, Tensor):
            self._check_member(value, location)
            if value.name is None:
                raise SpecError(
                    f"the output {value} has no name",
                    location=location,
                    hint="name it first: net.output(net.node('y', ...))",
                )
            value = value.name
        if not isinstance(value, str):
            raise SpecError(f"the output must be a Tensor or a name, got {value!r}", location=location)
        if seed is not None:
            try:
                seed = arrays.literal(_plain(seed), what="the seed")
            except GraphvizBPError as error:
                error.location = error.location or location
                raise
        self._output, self._output_location, self._seed = value, location, seed
        self._graph = None

    def build(self) -> Graph:
        """Return the validated Graph of this network; it is built once and cached until a change."""
        if self._graph is not None:
            return self._graph
        if self._output is None:
            raise SpecError(
                f"network {self.name!r} has no output",
                location=user_location(),
                hint="call net.output(value) with the final node",
            )
        self._graph = Graph(
            self._values,
            self._output,
            name=self.name,
            description=self.description,
            seed=self._seed,
            location=self._output_location,
        )
        return self._graph

    def _repr_svg_(self) -> str | None:
        return self.build()._repr_svg_()

    # Helpers.

    def _add_leaf(self, value: Value) -> Tensor:
        self._values.append(value)
        self._graph = None
        tensor = Tensor(
            self,
            shape=value.shape or (),
            text=value.name,
            precedence=_ATOM,
            location=value.location,
            name=value.name,
            requires_grad=value.requires_grad,
        )
        self._tensors[value.name] = tensor
        return tensor

    def _check_new_name(self, name: Any, location: Location | None) -> None:
        problem = f"{name!r} is not text" if not isinstance(name, str) else invalid_name_reason(name)
        if problem:
            raise SpecError(f"invalid name: {problem}", location=location)
        if name in self._tensors:
            first = self._tensors[name].location
            where = f" (first defined at {first})" if first else ""
            raise GraphError(
                f"duplicate name {name!r} in network {self.name!r}{where}",
                location=location,
                hint="each input and node needs its own name",
            )

    def _check_member(self, tensor: Tensor, location: Location | None) -> None:
        if tensor.network is not self:
            raise GraphError(
                f"{tensor} belongs to network {tensor.network.name!r}, not to {self.name!r}",
                location=location,
                hint="a network can only use its own inputs and nodes",
            )

    def _input_data(
        self, value: Any, shape: Any, init: str, seed: Any, scale: Any, what: str
    ) -> np.ndarray:
        max_elements = MAX_ELEMENTS.get()
        if value is not None:
            if shape is not None:
                raise SpecError(
                    f"{what} has both a value and `shape`",
                    hint="give either a value, or `shape` with an optional `init`",
                )
            return arrays.literal(_plain(value), max_elements=max_elements, what=what)
        if shape is None:
            raise SpecError(f"{what} needs a value or `shape`", hint="for example net.input('W', shape=(2, 3))")
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = [shape]
        shape = list(shape) if isinstance(shape, list | tuple) else shape
        if not isinstance(shape, list) or not all(
            isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape
        ):
            raise SpecError(f"`shape` of {what} must be a list of non-negative integers, got {shape!r}")
        if init not in arrays.INITS:
            raise SpecError(
                f"unknown init {init!r} for {what}",
                hint=did_you_mean(str(init), arrays.INITS) or f"use one of: {', '.join(arrays.INITS)}",
            )
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
            raise SpecError(f"`seed` of {what} must be a non-negative integer, got {seed!r}")
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise SpecError(f"`scale` of {what} must be a number, got {scale!r}")
        return arrays.generate(shape, init, seed=seed, scale=scale, max_elements=max_elements, what=what)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def _number(value: Any, what: str, location: Location | None) -> float:
    if not _is_number(value):
        raise SpecError(
            f"{what} must be a number, got {value!r}",
            location=location,
            hint="constants are plain numbers such as 1 or 0.5",
        )
    return value.item() if isinstance(value, np.generic) else value


def _plain(data: Any) -> Any:
    """Convert NumPy arrays and scalars inside `data` to Python numbers and lists for arrays.literal."""
    if isinstance(data, np.ndarray | np.generic):
        if data.dtype.kind not in "iuf":
            raise SpecError(
                f"an array of dtype {data.dtype} is not numeric",
                hint="inputs are real numbers: use an integer or float array",
            )
        return data.tolist()
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    return data


def _network_of(operands: Sequence[Any], op_name: str, location: Location | None) -> Network:
    networks = {id(o.network): o.network for o in operands if isinstance(o, Tensor)}
    if len(networks) > 1:
        names = ", ".join(repr(n.name) for n in networks.values())
        raise GraphError(
            f"{op_name} combines values of different networks ({names})",
            location=location,
            hint="a network can only use its own inputs and nodes",
        )
    if networks:
        return next(iter(networks.values()))
    active = _ACTIVE.get()
    if not active:
        raise SpecError(
            f"{op_name} is applied to numbers only, so it belongs to no network",
            location=location,
            hint="call it inside `with Network(...)`, or pass at least one input or node",
        )
    return active[-1]


def _apply(op_name: str, arguments: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Build the pending expression `op_name(*arguments)`, checking arity, params and shapes now."""
    location = user_location()
    op = get_op(op_name)
    network = _network_of(arguments, op.name, location)
    operands = tuple(_operand(argument, network, op.name, location) for argument in arguments)
    text = _text(op.name, operands, params)
    merged = {**op.params, **params}
    try:
        shape = tuple(op.infer_shape(tuple(o.shape for o in operands), merged))
    except ShapeError as error:
        error.location = error.location or location
        error.message = f"in {text}: {error.message}"
        raise
    if op.name == "pow" and operands[1].requires_grad:
        raise GraphError(
            f"the exponent of {text} must be a constant, got input {operands[1]}",
            location=location,
            hint="write the exponent as a number, or give that input grad=False",
        )
    precedence = _PRECEDENCE.get(op.name, _ATOM)
    return Tensor(
        network, shape=shape, text=text, precedence=precedence, location=location,
        op=op.name, operands=operands, params=params,
    )


def _operand(argument: Any, network: Network, op_name: str, location: Location | None) -> Tensor:
    if isinstance(argument, Tensor):
        return argument
    if not _is_number(argument):
        if isinstance(argument, np.ndarray | list | tuple):
            hint = "declare arrays with net.input(name, value, grad=False); only plain numbers are constants"
        else:
            hint = "operands are the network's inputs and nodes, or plain numbers"
        raise SpecError(f"invalid operand of {op_name}: {argument!r}", location=location, hint=hint)
    number = _number(argument, "an operand", location)
    return Tensor(network, shape=(), text=repr(number), precedence=_ATOM, location=location, number=number)


def _text(op_name: str, operands: tuple[Tensor, ...], params: dict[str, Any]) -> str:
    """Print an expression with the parentheses that Python needs to read it back."""
    if op_name in _BINARY:
        left, right = operands
        precedence = _PRECEDENCE[op_name]
        # `**` binds right to left, every other binary operator left to right.
        left_tight = precedence + 1 if op_name == "pow" else precedence
        right_tight = precedence if op_name == "pow" else precedence + 1
        return f"{_wrapped(left, left_tight)} {_BINARY[op_name]} {_wrapped(right, right_tight)}"
    if op_name == "neg":
        return f"-{_wrapped(operands[0], _PRECEDENCE['neg'])}"
    if op_name == "transpose":
        return f"{_wrapped(operands[0], _ATOM)}.T"
    arguments = [str(o) for o in operands] + [f"{key}={value!r}" for key, value in params.items()]
    return f"{op_name}({', '.join(arguments)})"


def _wrapped(tensor: Tensor, minimum: int) -> str:
    precedence = _ATOM if tensor.name is not None else tensor._precedence
    return f"({tensor})" if precedence < minimum else str(tensor)


def _flatten(root: Tensor, node_name: str) -> list[Value]:
    """Turn the pending expression `root` into values, numbered as spec/expressions.py numbers them.

    A subexpression gets the name `node_name#k` where k-1 values were added before it; its
    operands are added first, left to right. The last value is the root, still unnamed.
    """
    values: list[Value] = []

    def fresh_name() -> str:
        return f"{node_name}{GENERATED_SEPARATOR}{len(values) + 1}"

    def build(tensor: Tensor) -> str | Value:
        if tensor.name is not None:
            return tensor.name
        if tensor.op is None:
            return leaf(fresh_name(), tensor.number, constant=True, named=False, location=tensor.location)
        inputs = []
        for operand in tensor.operands:
            child = build(operand)
            if isinstance(child, Value):
                values.append(child)
                # Later uses of this same expression refer to the value just added.
                if child.kind == "node":
                    operand.name = child.name
                child = child.name
            inputs.append(child)
        return Value(
            name=fresh_name(),
            kind="node",
            op=tensor.op,
            inputs=tuple(inputs),
            params=dict(tensor.params),
            named=False,
            location=tensor.location,
        )

    values.append(_as_value(build(root)))
    return values


def _as_value(built: str | Value) -> Value:
    assert isinstance(built, Value), "Network.node rejects a root that is already named"
    return built


def _make_op_function(op_name: str) -> Callable[..., Tensor]:
    op = REGISTRY[op_name]

    def function(*arguments: Any, **params: Any) -> Tensor:
        if len(arguments) != op.arity:
            raise SpecError(
                f"{op.name} takes {op.arity} argument(s), got {len(arguments)}",
                location=user_location(),
            )
        checked = {}
        for key, value in params.items():
            if key not in op.params:
                raise SpecError(
                    f"{op.name} has no parameter {key!r}",
                    location=user_location(),
                    hint=f"its parameters: {', '.join(op.params) or 'none'}",
                )
            if isinstance(value, np.integer):
                value = int(value)
            if value is not None and type(value) is not int:
                raise SpecError(
                    f"{key}={value!r} is invalid for {op.name}",
                    location=user_location(),
                    hint=f"{key} takes an integer or None",
                )
            checked[key] = value
        return _apply(op.name, arguments, checked)

    parameters = "".join(f", {key}={default!r}" for key, default in op.params.items())
    operands = ", ".join(["x", "y", "z"][: op.arity]) if op.arity <= 3 else "*operands"
    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (
        f"{op.name}({operands}{parameters}): the `{op.name}` op ({op.symbol}); local derivative {op.derivative}."
    )
    return function


# One function per registered op, so an op added to REGISTRY is available here at once.
OP_FUNCTIONS: dict[str, Callable[..., Tensor]] = {name: _make_op_function(name) for name in REGISTRY}
globals().update(OP_FUNCTIONS)

__all__ = ["MAX_ELEMENTS", "OP_FUNCTIONS", "Network", "Tensor", "user_location", *OP_FUNCTIONS]
