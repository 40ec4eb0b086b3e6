"""The computational graph: values (inputs, constants, op outputs) in topological order.

A Graph is immutable and holds no number computed by a pass: leaves carry their data, op
outputs carry only the op, its inputs and the static shape that the op infers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from graphviz_bp.errors import GraphError, GraphvizBPError, Location, NonFiniteError, ShapeError, did_you_mean
from graphviz_bp.ops import REGISTRY, Shape, get_op

ValueKind = Literal["input", "constant", "node"]


@dataclass(frozen=True, eq=False)
class Value:
    """A named value of the graph.

    `kind` is "input" (a leaf with data, differentiable unless `requires_grad` is False),
    "constant" (a leaf written as a number inside an expression) or "node" (the output of
    `op` applied to `inputs`). `named` is False for values the parser generated for a
    subexpression; figures print those as their expression. `label` replaces the op's
    symbol in figures.
    """

    name: str
    kind: ValueKind
    op: str | None = None
    inputs: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    data: np.ndarray | None = None
    requires_grad: bool = False
    named: bool = True
    label: str | None = None
    shape: Shape | None = None
    location: Location | None = None
    # Draw this composite op (sigmoid, affine, softmax_with_loss) as its primitive subgraph.
    expand: bool = False

    @property
    def is_leaf(self) -> bool:
        return self.kind != "node"


def leaf(
    name: str,
    data: Any,
    *,
    requires_grad: bool = True,
    constant: bool = False,
    named: bool = True,
    location: Location | None = None,
) -> Value:
    """Build an input (or, with `constant=True`, a constant) holding a read-only float64 copy."""
    array = np.array(data, dtype=np.float64)
    array.setflags(write=False)
    return Value(
        name=name,
        kind="constant" if constant else "input",
        data=array,
        requires_grad=requires_grad and not constant,
        named=named,
        shape=array.shape,
        location=location,
    )


class Graph:
    """An immutable DAG of values, validated and sorted at construction.

    Raises GraphError for duplicate or undefined names, cycles and a missing output, and
    ShapeError (naming the node) when an op cannot combine its inputs' shapes.
    """

    def __init__(
        self,
        values: Iterable[Value],
        output: str,
        *,
        name: str = "graph",
        description: str = "",
        seed: Any = None,
        location: Location | None = None,
    ) -> None:
        declared = _index_unique(_checked_leaf(value) for value in values)
        _check_references(declared)
        order = _topological_order(declared)
        sorted_values = _infer_shapes(declared, order)

        if output not in sorted_values:
            raise GraphError(
                f"the output {output!r} is not a value of the graph",
                location=location,
                hint=did_you_mean(output, sorted_values) or "set `output` to an input or node name",
            )

        self.values: Mapping[str, Value] = MappingProxyType(sorted_values)
        self.output = output
        _check_text(name, "the graph's name", location)
        _check_text(description, "the description", location, newlines=True)
        for value in sorted_values.values():
            _check_text(value.name, f"the name {value.name!r}", value.location)
            if value.label is not None:
                _check_text(value.label, f"the label of {value.name!r}", value.location)
        self.name = name
        self.description = description
        # The resolved path of the spec file that `graphviz_bp.spec.load` read, so that no
        # output is ever written over it; None for graphs built in Python.
        self.source_path: Path | None = None
        self.seed = _check_seed(seed, sorted_values[output].shape, location)

        consumers: dict[str, list[tuple[str, int]]] = {key: [] for key in sorted_values}
        for value in sorted_values.values():
            for slot, source in enumerate(value.inputs):
                consumers[source].append((value.name, slot))
        self._consumers = {key: tuple(uses) for key, uses in consumers.items()}

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Graph({self.name!r}, {len(self.values)} values, output={self.output!r})"

    @property
    def nodes(self) -> list[Value]:
        """The op outputs, in topological order."""
        return [v for v in self.values.values() if v.kind == "node"]

    @property
    def inputs(self) -> list[Value]:
        return [v for v in self.values.values() if v.kind == "input"]

    def consumers(self, name: str) -> tuple[tuple[str, int], ...]:
        """Every use of `name` as (consuming node, input slot), in topological order."""
        return self._consumers[name]

    def _repr_svg_(self) -> str | None:
        """The figure of one forward and backward pass, for Jupyter (see graphviz_bp.api)."""
        from graphviz_bp.api import notebook_svg

        return notebook_svg(self)


def _check_text(text: str, what: str, location: Location | None, newlines: bool = False) -> None:
    """Raise GraphError for control characters, which would reach terminals as escape sequences."""
    allowed = "\n\t" if newlines else ""
    for char in text:
        code = ord(char)
        if (code < 0x20 or 0x7F <= code < 0xA0) and char not in allowed:
            raise GraphError(
                f"{what} contains the control character U+{code:04X}: {text[:40]!r}",
                location=location,
                hint="names, labels and descriptions are plain text",
            )


def _checked_leaf(value: Value) -> Value:
    """Return a leaf with read-only float64 data, or raise NonFiniteError for inf or NaN in it.

    Leaf data is checked once here, so that the passes need not scan the inputs again.
    """
    if not value.is_leaf:
        return value
    data = value.data
    if not (isinstance(data, np.ndarray) and data.dtype == np.float64 and not data.flags.writeable):
        data = np.array(data, dtype=np.float64)
        data.setflags(write=False)
        value = dataclasses.replace(value, data=data, shape=data.shape)
    if not np.isfinite(data).all():
        bad = data[~np.isfinite(data)].flat[0]
        raise NonFiniteError(
            f"the {value.kind} {value.name!r} contains {bad}",
            location=value.location,
            node=value.name,
            hint="inputs must be finite numbers",
        )
    return value


def _index_unique(values: Iterable[Value]) -> dict[str, Value]:
    declared: dict[str, Value] = {}
    for value in values:
        if value.name in declared:
            first = declared[value.name].location
            where = f" (first defined at {first})" if first else ""
            raise GraphError(
                f"duplicate name {value.name!r}{where}",
                location=value.location,
                node=value.name,
                hint="each input and node needs its own name",
            )
        declared[value.name] = value
    return declared


def _check_references(declared: Mapping[str, Value]) -> None:
    for value in declared.values():
        if value.kind != "node":
            continue
        try:
            op = get_op(value.op or "")
        except GraphvizBPError as error:
            error.location = error.location or value.location
            error.node = value.name
            raise
        if len(value.inputs) != op.arity:
            raise GraphError(
                f"{op.name} takes {op.arity} argument(s), got {len(value.inputs)} in node {value.name!r}",
                location=value.location,
                node=value.name,
            )
        for source in value.inputs:
            if source not in declared:
                raise GraphError(
                    f"undefined name {source!r} in node {value.name!r}",
                    location=value.location,
                    node=value.name,
                    hint=did_you_mean(source, declared) or "define it under `inputs` or `nodes`",
                )
        if op.name == "pow" and declared[value.inputs[1]].requires_grad:
            raise GraphError(
                f"the exponent of {value.name!r} must be a constant, got input {value.inputs[1]!r}",
                location=value.location,
                node=value.name,
                hint="write the exponent as a number, or give that input `grad: false`",
            )


def _topological_order(declared: Mapping[str, Value]) -> list[str]:
    """Depth-first post-order that follows declaration order, so ties keep the spec's order.

    Iterative, so that graphs thousands of values deep do not hit the recursion limit.
    """
    done: set[str] = set()
    on_path: dict[str, None] = {}
    order: list[str] = []
    for root in declared:
        if root in done:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        on_path[root] = None
        while stack:
            name, next_input = stack[-1]
            inputs = declared[name].inputs
            if next_input < len(inputs):
                stack[-1] = (name, next_input + 1)
                child = inputs[next_input]
                if child in done:
                    continue
                if child in on_path:
                    cycle = [*list(on_path)[list(on_path).index(child) :], child]
                    raise GraphError(
                        "cycle: " + " -> ".join(reversed(cycle)),
                        location=declared[child].location,
                        node=child,
                        hint="a node cannot depend on itself, directly or through other nodes",
                    )
                on_path[child] = None
                stack.append((child, 0))
            else:
                stack.pop()
                del on_path[name]
                done.add(name)
                order.append(name)
    return order


def _infer_shapes(declared: Mapping[str, Value], order: list[str]) -> dict[str, Value]:
    result: dict[str, Value] = {}
    for name in order:
        value = declared[name]
        if value.kind == "node":
            op = REGISTRY[value.op or ""]
            params = {**op.params, **value.params}
            shapes = tuple(result[source].shape for source in value.inputs)
            try:
                shape = op.infer_shape(shapes, params)
            except ShapeError as error:
                error.node = name
                error.location = error.location or value.location
                error.message = f"in node {name!r}: {error.message}"
                raise
            value = dataclasses.replace(value, shape=tuple(shape), params=MappingProxyType(params))
        result[name] = value
    return result


def _check_seed(seed: Any, shape: Shape | None, location: Location | None) -> np.ndarray | None:
    if seed is None:
        return None
    array = np.array(seed, dtype=np.float64)
    try:
        array = np.broadcast_to(array, shape or ()).copy()
    except ValueError:
        raise GraphError(
            f"the seed of shape {array.shape} does not match the output's shape {shape}",
            location=location,
            hint="give a number, or an array of the output's shape",
        ) from None
    array.setflags(write=False)
    return array
