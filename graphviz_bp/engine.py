"""The forward and backward passes, recorded as a Trace that every consumer reads."""

from __future__ import annotations

import math
import warnings
import weakref
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
    return _plan(graph).needs


@dataclass(frozen=True)
class _NodePlan:
    name: str
    op: Any
    inputs: tuple[str, ...]
    params: Any
    input_shapes: tuple[Shape, ...]
    input_needs: tuple[bool, ...]
    needs_grad: bool


@dataclass(frozen=True)
class _Plan:
    """Per-node data that the passes look up, computed once per Graph."""

    leaves: tuple[tuple[str, np.ndarray], ...]
    nodes: tuple[_NodePlan, ...]
    needs: frozenset[str]
    output_shape: Shape
    # The steps depend only on the graph's structure, so they are built once.
    steps: tuple[Step, ...]


# Plans keyed by the graph; a Graph is immutable, so its plan never goes stale.
_PLANS: weakref.WeakKeyDictionary[Graph, _Plan] = weakref.WeakKeyDictionary()


def _plan(graph: Graph) -> _Plan:
    plan = _PLANS.get(graph)
    if plan is not None:
        return plan

    needs: set[str] = set()
    for value in graph.values.values():
        if (value.is_leaf and value.requires_grad) or any(src in needs for src in value.inputs):
            needs.add(value.name)

    nodes = tuple(
        _NodePlan(
            name=node.name,
            op=REGISTRY[node.op or ""],
            inputs=node.inputs,
            params=node.params,
            input_shapes=tuple(graph[src].shape for src in node.inputs),
            input_needs=tuple(src in needs for src in node.inputs),
            needs_grad=node.name in needs,
        )
        for node in graph.nodes
    )
    leaves = tuple((v.name, v.data) for v in graph.values.values() if v.is_leaf)

    steps = [Step(i, "forward", node.name) for i, node in enumerate(nodes)]
    # A node takes a backward step when it needs a gradient and the output depends on it.
    reached = {graph.output}
    for node in reversed(nodes):
        if node.name in reached and node.needs_grad:
            steps.append(Step(len(steps), "backward", node.name))
            reached.update(src for src, needed in zip(node.inputs, node.input_needs, strict=True) if needed)

    plan = _Plan(leaves, nodes, frozenset(needs), graph[graph.output].shape, tuple(steps))
    _PLANS[graph] = plan
    return plan


def forward(graph: Graph, overrides: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Compute every value of `graph`; `overrides` replaces leaf data (used by the gradient check)."""
    values, _ = _forward(graph, overrides, keep_caches=False)
    return values


def run(graph: Graph, overrides: Mapping[str, np.ndarray] | None = None) -> Trace:
    """Run the forward pass, then the backward pass from the output with the graph's seed.

    The seed is ∂L/∂output: `graph.seed`, or ones of the output's shape. Raises
    NonFiniteError naming the first node whose value or gradient is inf or NaN.
    """
    plan = _plan(graph)
    values, caches = _forward(graph, overrides, keep_caches=True)

    output = graph.output
    seed = graph.seed if graph.seed is not None else np.ones(plan.output_shape)
    grads: dict[str, Any] = dict.fromkeys(graph.values)
    grads[output] = seed
    edge_grads: dict[tuple[str, int], np.ndarray | None] = {}

    try:
        _backward(plan, caches, grads, edge_grads)
    except NonFiniteError as error:
        raise _located(graph, error) from None

    for name in plan.needs:
        if grads[name] is None:
            # A differentiable value that the output does not depend on.
            grads[name] = np.zeros(graph[name].shape)

    return Trace(
        graph=graph,
        values=MappingProxyType(values),
        grads=MappingProxyType(grads),
        edge_grads=MappingProxyType(edge_grads),
        steps=plan.steps,
        seed=seed,
    )


def _backward(plan: _Plan, caches: dict[str, Any], grads: dict[str, Any],
              edge_grads: dict[tuple[str, int], np.ndarray | None]) -> None:
    """Run every node's backward step, filling `grads` and `edge_grads` in place."""
    # Overflow and invalid operations are reported by the finite checks, naming the node,
    # so NumPy's own warnings would only repeat them.
    with np.errstate(all="ignore"):
        for node in reversed(plan.nodes):
            grad_out = grads[node.name]
            if grad_out is None or not node.needs_grad:
                continue
            input_grads = node.op.backward(grad_out, caches.pop(node.name), node.input_needs, node.params)
            for slot, (source, grad) in enumerate(zip(node.inputs, input_grads, strict=True)):
                if grad is None:
                    edge_grads[(node.name, slot)] = None
                    continue
                if type(grad) is not np.ndarray or grad.dtype is not _FLOAT64:
                    grad = np.asarray(grad, dtype=np.float64)
                grad = unbroadcast(grad, node.input_shapes[slot])
                _check_finite(grad, node.name, f"the gradient that {node.name!r} sends to {source!r}")
                edge_grads[(node.name, slot)] = grad
                if grads[source] is None:
                    grads[source] = grad
                else:
                    # A new array on every sum: an earlier array may be shown on another edge.
                    grads[source] = grads[source] + grad
                    _check_finite(grads[source], source, f"the sum of the gradients that reach {source!r}")


def _located(graph: Graph, error: NonFiniteError) -> NonFiniteError:
    """Point `error` at the spec line of the node it names."""
    if error.location is None and error.node in graph.values:
        error.location = graph[error.node].location
    return error


def _forward(
    graph: Graph, overrides: Mapping[str, np.ndarray] | None, keep_caches: bool
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        return _forward_unlocated(graph, overrides, keep_caches)
    except NonFiniteError as error:
        raise _located(graph, error) from None


def _forward_unlocated(
    graph: Graph, overrides: Mapping[str, np.ndarray] | None, keep_caches: bool
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    plan = _plan(graph)
    # The Graph checked its leaf data once, at construction; only replacements need a check.
    values: dict[str, np.ndarray] = dict(plan.leaves)
    for name, data in (overrides or {}).items():
        _check_finite(data, name, f"the {graph[name].kind} {name!r}")
        values[name] = data
    caches: dict[str, Any] = {}
    # NumPy's warnings (overflow, mean of an empty array) would only repeat what the finite
    # checks report with the node's name.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for node in plan.nodes:
            out, cache = node.op.forward(tuple(values[src] for src in node.inputs), node.params)
            if type(out) is not np.ndarray or out.dtype is not _FLOAT64:
                out = np.asarray(out, dtype=np.float64)
            _check_finite(out, node.name, f"the value of {node.name!r} ({node.op.name})")
            values[node.name] = out
            if keep_caches:
                caches[node.name] = cache
    return values, caches


_FLOAT64 = np.dtype(np.float64)


def _all_finite(array: np.ndarray) -> bool:
    if isinstance(array, np.ndarray) and array.ndim == 0 and array.dtype is _FLOAT64:
        # For a 0-d float64 array, math.isfinite returns the same result as
        # np.isfinite(array).all() about 20 times faster (NumPy 2.4), and scalar graphs are all 0-d.
        return math.isfinite(array)
    if isinstance(array, np.ndarray) and array.dtype is _FLOAT64 and array.flags.c_contiguous:
        # x·x is inf or NaN when any element is, and a BLAS dot reads the array once without
        # allocating, about twice as fast as np.isfinite(x).all() on large arrays. A finite
        # result proves finiteness; an infinite one may be overflow, so it falls through.
        flat = array.reshape(-1)
        if math.isfinite(flat @ flat):
            return True
    return bool(np.isfinite(array).all())


def _check_finite(array: np.ndarray, node: str, what: str) -> None:
    if _all_finite(array):
        return
    bad = array[~np.isfinite(array)].flat[0]
    raise NonFiniteError(
        f"{what} is not finite ({bad}); this is the first non-finite value of the pass",
        node=node,
        hint="check the inputs' ranges: exp overflows above about 709, log needs positive inputs,"
        " division nonzero divisors, and ** a non-negative base for fractional exponents",
    )
