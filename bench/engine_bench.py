"""Engine benchmarks: the 784-50-10 classifier against hand-written layers, the per-node
overhead on a scalar chain, and the peak memory of a trace."""

from __future__ import annotations

import numpy as np
from graphs import CHAIN_CONSTANT, chain_by_hand, chain_ops, mlp_arrays, mlp_graph, scalar_chain
from harness import Result, compare_calls, format_seconds, peak_memory
from textbook import two_layer_step

from graphviz_bp import engine

GRAD_NAMES = ("W1", "b1", "W2", "b2")


def bench_mlp(quick: bool) -> list[Result]:
    """engine.run on the classifier against the textbook layers, with and without ∂L/∂X."""
    arrays = mlp_arrays()
    results = []
    variants = [
        (False, "X with grad: false, reference skips dX", 1.0),
        (True, "all gradients, reference computes dX", 1.05),
    ]
    for x_grad, label, goal in variants:
        graph = mlp_graph(arrays, x_grad=x_grad)
        _check_same_mlp_results(graph, arrays, x_grad)
        comparison = compare_calls(
            f"784-50-10, batch 100, forward+backward: {label}",
            ("engine.run", lambda graph=graph: engine.run(graph)),
            (
                "textbook layers",
                lambda x_grad=x_grad: two_layer_step(arrays, arrays["X"], arrays["t"], input_grad=x_grad),
            ),
            rounds=5 if quick else 40,
            number=5 if quick else 20,
        )
        results.append(
            Result(
                name=comparison.name,
                candidate=comparison.candidate,
                reference=comparison.reference,
                ratio=comparison.ratio_of_minimums,
                median_ratio=comparison.median_ratio,
                figure=f"{format_seconds(comparison.candidate_min)} vs {format_seconds(comparison.reference_min)}",
                goal=f"≤ {goal:.2f}x",
                met=comparison.ratio_of_minimums <= goal,
            )
        )
    return results


def _check_same_mlp_results(graph, arrays: dict[str, np.ndarray], x_grad: bool) -> None:
    """Fail loudly if the engine and the reference do not compute the same numbers."""
    trace = engine.run(graph)
    reference = two_layer_step(arrays, arrays["X"], arrays["t"], input_grad=x_grad)
    # The textbook's loss adds 1e-7 inside the logarithm and the engine's does not.
    np.testing.assert_allclose(trace.output, reference["L"], rtol=1e-5)
    for name in GRAD_NAMES + (("X",) if x_grad else ()):
        np.testing.assert_allclose(trace.grads[name], reference[name], rtol=1e-9, atol=1e-15)
    if not x_grad:
        assert trace.grads["X"] is None and reference["X"] is None


def bench_chain(quick: bool) -> list[Result]:
    """µs per node of engine.run on a scalar chain, against the same chain as a NumPy loop."""
    length = 200 if quick else 1000
    goal_seconds = 2e-6
    graph = scalar_chain(length)
    ops = chain_ops(length)
    x = np.array(0.5)
    c = np.array(CHAIN_CONSTANT)

    trace = engine.run(graph)
    _, grad_x = chain_by_hand(ops, x, c)
    np.testing.assert_allclose(trace.grads["x"], grad_x, rtol=1e-12)

    comparison = compare_calls(
        f"scalar chain of {length} nodes (× and + by a constant), forward+backward",
        ("engine.run", lambda: engine.run(graph)),
        ("NumPy loop over 0-d arrays", lambda: chain_by_hand(ops, x, c)),
        rounds=3 if quick else 20,
        number=2 if quick else 5,
    )
    per_node = comparison.candidate_min / length
    reference_per_node = comparison.reference_min / length
    return [
        Result(
            name=comparison.name,
            candidate=comparison.candidate,
            reference=comparison.reference,
            ratio=comparison.ratio_of_minimums,
            median_ratio=comparison.median_ratio,
            figure=f"{per_node * 1e6:.2f} µs/node vs {reference_per_node * 1e6:.2f} µs/node",
            goal="≤ 2 µs/node",
            met=per_node <= goal_seconds,
        )
    ]


def bench_memory(quick: bool) -> list[Result]:
    """Peak traced memory of engine.run on the classifier against the textbook layers."""
    arrays = mlp_arrays()
    goal = 1.5
    results = []
    for x_grad in (False, True):
        graph = mlp_graph(arrays, x_grad=x_grad)
        engine_peak = peak_memory(lambda graph=graph: engine.run(graph))
        reference_peak = peak_memory(
            lambda x_grad=x_grad: two_layer_step(arrays, arrays["X"], arrays["t"], input_grad=x_grad)
        )
        ratio = engine_peak / reference_peak
        which = "all gradients" if x_grad else "X with grad: false"
        results.append(
            Result(
                name=f"784-50-10 peak memory (tracemalloc), {which}",
                candidate="engine.run (the Trace it returns included)",
                reference="textbook layers (gradients returned included)",
                ratio=ratio,
                median_ratio=None,
                figure=f"{engine_peak / 2**20:.2f} MiB vs {reference_peak / 2**20:.2f} MiB",
                goal=f"≤ {goal:.1f}x",
                met=ratio <= goal,
            )
        )
    return results
