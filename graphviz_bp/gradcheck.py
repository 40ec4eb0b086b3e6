"""Central-difference gradient check of the backward pass.

The checked scalar is L = Σ seed ⊙ output, whose gradient is exactly what the backward pass
computes from that seed. Each input element is perturbed in a float64 copy by
h = step·max(1, |x|); the central difference (L(x+h) − L(x−h)) / 2h is compared with the
backprop gradient. A mismatch is a kink (ReLU at 0, say), counted and reported but not
failed, when the one-sided slopes (L(x+h) − L(x))/h and (L(x) − L(x−h))/h differ and the
backprop gradient equals one of them: backprop then took a one-sided derivative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphviz_bp.engine import forward, run
from graphviz_bp.graph import Graph

DEFAULT_TOLERANCE = 1e-5
DEFAULT_STEP = 1e-6
# Inputs with more elements are checked on a fixed random subset, to keep the check fast.
MAX_CHECKED_ELEMENTS = 2000
# One-sided differences have an error of order h·|L''|, far above the central difference's
# h²; this relative tolerance lets backprop match a one-sided slope at a kink.
ONE_SIDED_TOLERANCE = 1e-4


@dataclass(frozen=True)
class InputCheck:
    """The comparison for one input: errors over its checked elements, kinks excluded."""

    name: str
    elements: int
    checked: int
    kinks: int
    max_abs_error: float
    max_rel_error: float
    passed: bool


@dataclass(frozen=True)
class CheckReport:
    """The gradient check of every differentiable input of a graph."""

    inputs: tuple[InputCheck, ...]
    tolerance: float

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.inputs)


def check_gradients(graph: Graph, tolerance: float = DEFAULT_TOLERANCE, step: float = DEFAULT_STEP) -> CheckReport:
    """Compare backprop with central differences for every input that has `requires_grad`.

    An element passes when |backprop − numerical| ≤ tolerance·(1 + |numerical|).
    """
    trace = run(graph)
    seed = trace.seed
    results = []
    for value in graph.inputs:
        if not value.requires_grad:
            continue
        analytic = trace.grads[value.name]
        results.append(_check_input(graph, value.name, analytic, seed, tolerance, step))
    return CheckReport(tuple(results), tolerance)


def numerical_gradient(
    graph: Graph, name: str, seed: np.ndarray | None = None, step: float = DEFAULT_STEP
) -> np.ndarray:
    """Return the central-difference gradient of Σ seed ⊙ output with respect to input `name`."""
    base = graph[name].data
    grad = np.zeros(base.shape)
    seed = seed if seed is not None else np.ones(graph[graph.output].shape)
    for index in np.ndindex(base.shape):
        minus, _, plus, h = _perturbed_losses(graph, name, index, seed, step)
        grad[index] = (plus - minus) / (2 * h)
    return grad


def _loss(graph: Graph, name: str, data: np.ndarray, seed: np.ndarray) -> float:
    values = forward(graph, {name: data})
    return float(np.sum(seed * values[graph.output]))


def _perturbed_losses(
    graph: Graph, name: str, index: tuple[int, ...], seed: np.ndarray, step: float
) -> tuple[float, float, float, float]:
    data = np.array(graph[name].data, dtype=np.float64)
    x = data[index]
    h = step * max(1.0, abs(x))
    data[index] = x - h
    minus = _loss(graph, name, data, seed)
    data[index] = x
    center = _loss(graph, name, data, seed)
    data[index] = x + h
    plus = _loss(graph, name, data, seed)
    return minus, center, plus, h


def _check_input(
    graph: Graph, name: str, analytic: np.ndarray, seed: np.ndarray, tolerance: float, step: float
) -> InputCheck:
    shape = graph[name].shape
    indices = list(np.ndindex(shape))
    if len(indices) > MAX_CHECKED_ELEMENTS:
        rng = np.random.default_rng(0)
        chosen = rng.choice(len(indices), size=MAX_CHECKED_ELEMENTS, replace=False)
        indices = [indices[i] for i in sorted(chosen)]

    max_abs = max_rel = 0.0
    kinks = 0
    passed = True
    for index in indices:
        minus, center, plus, h = _perturbed_losses(graph, name, index, seed, step)
        numerical = (plus - minus) / (2 * h)
        backprop = analytic[index]
        error = abs(backprop - numerical)
        if error > tolerance * (1 + abs(numerical)) and _on_kink(backprop, minus, center, plus, h, tolerance):
            kinks += 1
            continue
        scale = max(abs(backprop), abs(numerical))
        max_abs = max(max_abs, error)
        if scale > 0:
            max_rel = max(max_rel, error / scale)
        if error > tolerance * (1 + abs(numerical)):
            passed = False
    return InputCheck(name, int(np.prod(shape)), len(indices), kinks, max_abs, max_rel, passed)


def _on_kink(backprop: float, minus: float, center: float, plus: float, h: float, tolerance: float) -> bool:
    """Whether the slopes left and right of x differ and backprop equals one of them."""
    left = (center - minus) / h
    right = (plus - center) / h
    slack = max(tolerance, ONE_SIDED_TOLERANCE)
    if abs(left - right) <= slack * (1 + max(abs(left), abs(right))):
        return False
    return any(abs(backprop - slope) <= slack * (1 + abs(slope)) for slope in (left, right))
