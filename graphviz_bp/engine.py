"""The forward and backward passes, recorded as a Trace that every consumer reads."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from graphviz_bp.errors import NonFiniteError, ShapeError
from graphviz_bp.graph import Graph
from graphviz_bp.ops import REGISTRY, Shape

Phase = Literal["forward", "backward"]


@dataclass(frozen=True)
class Step:
    """One step of a pass: `node` computed its output (forward) or its input gradients (backward)."""

    index: int
    phase: Phase
    node: str


@dataclass(frozen=True)
class Trace:
    """Every value and gradient of one forward and backward pass over `graph`.

    `grads[name]` is ∂L/∂name summed over all uses, or None where no differentiable input
    depends on it (constants, `grad: false` inputs and what is computed from them only).
    `edge_grads[(node, slot)]` is the gradient that `node` sent back to its input `slot`,
    which is what a figure shows below that edge. `steps` lists the forward steps in
    topological order, then the backward steps in reverse order.
    """

    graph: Graph
    values: Mapping[str, np.ndarray]
    grads: Mapping[str, np.ndarray | None]
    edge_grads: Mapping[tuple[str, int], np.ndarray | None]
    steps: tuple[Step, ...]
    seed: np.ndarray

    @property
    def output(self) -> np.ndarray:
        return self.values[self.graph.output]

    def _repr_svg_(self) -> str | None:
        """The figure of this trace, for Jupyter (see graphviz_bp.api)."""
        from graphviz_bp.api import notebook_svg

        return notebook_svg(self)


def unbroadcast(grad: np.ndarray, shape: Shape) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise ShapeError(f"a gradient of shape {grad.shape} cannot be reduced to shape {shape}")
    return grad


def differentiable_values(graph: Graph) -> frozenset[str]:
    """Names of the values that depend on at least one input with `requires_grad`."""
    needs: set[str] = set()
    for value in graph.values.values():
        if (value.is_leaf and value.requires_grad) or any(src in needs for src in value.inputs):
            needs.add(value.name)
    return frozenset(needs)


def forward(graph: Graph, overrides: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Compute every value of `graph`; `overrides` replaces leaf data (used by the gradient check)."""
    values, _ = _forward(graph, overrides, keep_caches=False)
    return values


def run(graph: Graph, overrides: Mapping[str, np.ndarray] | None = None) -> Trace:
    """Run the forward pass, then the backward pass from the output with the graph's seed.

    The seed is ∂L/∂output: `graph.seed`, or ones of the output's shape. Raises
    NonFiniteError naming the first node whose value or gradient is inf or NaN.
    """
    values, caches = _forward(graph, overrides, keep_caches=True)
    steps = [Step(i, "forward", node.name) for i, node in enumerate(graph.nodes)]

    output = graph.output
    seed = graph.seed if graph.seed is not None else np.ones(graph[output].shape)
    needs = differentiable_values(graph)
    grads: dict[str, Any] = {name: None for name in graph.values}
    grads[output] = seed
    edge_grads: dict[tuple[str, int], np.ndarray | None] = {}

    for node in reversed(graph.nodes):
        grad_out = grads[node.name]
        if grad_out is None or node.name not in needs:
            continue
        op = REGISTRY[node.op or ""]
        input_needs = tuple(src in needs for src in node.inputs)
        with np.errstate(all="ignore"):
            input_grads = op.backward(grad_out, caches.pop(node.name), input_needs, node.params)
        for slot, (source, grad) in enumerate(zip(node.inputs, input_grads, strict=True)):
            if grad is None:
                edge_grads[(node.name, slot)] = None
                continue
            grad = unbroadcast(np.asarray(grad, dtype=np.float64), graph[source].shape)
            _check_finite(grad, node.name, f"the gradient that {node.name!r} sends to {source!r}")
            edge_grads[(node.name, slot)] = grad
            # A new array on every sum: an earlier array may be shown on another edge.
            grads[source] = grad if grads[source] is None else grads[source] + grad
        steps.append(Step(len(steps), "backward", node.name))

    for name in needs:
        if grads[name] is None:
            # A differentiable value that the output does not depend on.
            grads[name] = np.zeros(graph[name].shape)

    return Trace(
        graph=graph,
        values=MappingProxyType(values),
        grads=MappingProxyType(grads),
        edge_grads=MappingProxyType(edge_grads),
        steps=tuple(steps),
        seed=seed,
    )


def _forward(
    graph: Graph, overrides: Mapping[str, np.ndarray] | None, keep_caches: bool
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    values: dict[str, np.ndarray] = {}
    caches: dict[str, Any] = {}
    overrides = overrides or {}
    for value in graph.values.values():
        if value.is_leaf:
            data = overrides.get(value.name, value.data)
            _check_finite(data, value.name, f"the {value.kind} {value.name!r}")
            values[value.name] = data
            continue
        op = REGISTRY[value.op or ""]
        with np.errstate(all="ignore"):
            out, cache = op.forward(tuple(values[src] for src in value.inputs), value.params)
        out = np.asarray(out, dtype=np.float64)
        _check_finite(out, value.name, f"the value of {value.name!r} ({op.name})")
        values[value.name] = out
        if keep_caches:
            caches[value.name] = cache
    return values, caches


_FLOAT64 = np.dtype(np.float64)


def _check_finite(array: np.ndarray, node: str, what: str) -> None:
    if isinstance(array, np.ndarray) and array.ndim == 0 and array.dtype is _FLOAT64:
        # For a 0-d float64 array, math.isfinite returns the same result as
        # np.isfinite(array).all() about 20 times faster (NumPy 2.4), and scalar graphs are all 0-d.
        if math.isfinite(array):
            return
    elif np.isfinite(array).all():
        return
    bad = array[~np.isfinite(array)].flat[0]
    raise NonFiniteError(
        f"{what} is not finite ({bad}); this is the first non-finite value of the pass",
        node=node,
        hint="check the inputs' ranges: log and division need positive or nonzero inputs",
    )
