"""Forward and backward passes against the textbook's worked examples and hand-derived formulas."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES

from graphviz_bp.engine import run, unbroadcast
from graphviz_bp.graph import Graph, Value, leaf
from graphviz_bp.spec import load


def node(name, op, *inputs, **params):
    return Value(name=name, kind="node", op=op, inputs=inputs, params=params)


def test_apple_textbook_numbers():
    trace = run(load(SAMPLES / "apple.yaml"))

    assert trace.output == pytest.approx(220.0)
    assert trace.grads["apple"] == pytest.approx(2.2)
    assert trace.grads["apple_num"] == pytest.approx(110.0)
    assert trace.grads["tax"] == pytest.approx(200.0)


def test_apple_orange_textbook_numbers():
    trace = run(load(SAMPLES / "apple_orange.yaml"))

    assert trace.output == pytest.approx(715.0)
    assert trace.grads["apple"] == pytest.approx(2.2)
    assert trace.grads["apple_num"] == pytest.approx(110.0)
    assert trace.grads["orange"] == pytest.approx(3.3)
    assert trace.grads["orange_num"] == pytest.approx(165.0)
    assert trace.grads["tax"] == pytest.approx(650.0)


def test_sigmoid_expanded_matches_closed_form():
    trace = run(load(SAMPLES / "sigmoid_expanded.yaml"))
    y = 1 / (1 + np.exp(-0.5))

    assert trace.output == pytest.approx(y)
    assert trace.grads["x"] == pytest.approx(y * (1 - y))


def test_value_used_twice_by_one_op():
    graph = Graph([leaf("x", 3.0), node("y", "mul", "x", "x")], "y")
    trace = run(graph)

    assert trace.grads["x"] == pytest.approx(6.0)
    assert trace.edge_grads[("y", 0)] == pytest.approx(3.0)
    assert trace.edge_grads[("y", 1)] == pytest.approx(3.0)


def test_add_same_value_twice():
    trace = run(Graph([leaf("a", 2.0), node("y", "add", "a", "a")], "y"))

    assert trace.grads["a"] == pytest.approx(2.0)


def test_diamond_gradients_add_up():
    # y = exp(x) * x²  →  dy/dx = exp(x)·x² + exp(x)·2x
    values = [
        leaf("x", 0.7),
        leaf("two", 2.0, constant=True),
        node("e", "exp", "x"),
        node("s", "pow", "x", "two"),
        node("y", "mul", "e", "s"),
    ]
    trace = run(Graph(values, "y"))
    x = 0.7

    assert trace.grads["x"] == pytest.approx(np.exp(x) * x**2 + np.exp(x) * 2 * x)


def test_running_twice_gives_same_numbers():
    graph = load(SAMPLES / "two_layer_net.yaml")
    first = run(graph)
    second = run(graph)

    for name in graph.values:
        if first.grads[name] is None:
            assert second.grads[name] is None
        else:
            np.testing.assert_array_equal(first.grads[name], second.grads[name])


def test_backward_leaves_upstream_arrays_unchanged():
    graph = load(SAMPLES / "two_layer_net.yaml")
    trace = run(graph)
    snapshots = {key: grad.copy() for key, grad in trace.edge_grads.items() if grad is not None}
    again = run(graph)

    for key, grad in snapshots.items():
        np.testing.assert_array_equal(trace.edge_grads[key], grad)
        np.testing.assert_array_equal(again.edge_grads[key], grad)


def test_affine_batch_bias_gradient_sums_axis0():
    trace = run(load(SAMPLES / "affine_batch.yaml"))
    seed = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])

    np.testing.assert_allclose(trace.grads["B"], seed.sum(axis=0))
    np.testing.assert_allclose(trace.grads["W"], x.T @ seed)
    np.testing.assert_allclose(trace.grads["X"], seed @ w.T)


def test_broadcast_add_gradient_reduced():
    values = [leaf("a", np.ones((3, 2))), leaf("b", [1.0, 2.0]), node("y", "add", "a", "b")]
    trace = run(Graph(values, "y"))

    assert trace.grads["b"].shape == (2,)
    np.testing.assert_allclose(trace.grads["b"], [3.0, 3.0])


def test_unbroadcast_keeps_dims_of_size_one():
    grad = np.arange(6.0).reshape(2, 3)

    np.testing.assert_allclose(unbroadcast(grad, (1, 3)), [[3.0, 5.0, 7.0]])
    np.testing.assert_allclose(unbroadcast(grad, ()), 15.0)


def test_grad_false_input_has_no_gradient():
    trace = run(load(SAMPLES / "two_layer_net.yaml"))

    assert trace.grads["t"] is None
    assert trace.grads["X"] is not None


def test_every_gradient_has_its_value_shape():
    trace = run(load(SAMPLES / "two_layer_net.yaml"))

    for name, grad in trace.grads.items():
        if grad is not None:
            assert grad.shape == trace.values[name].shape, name


def test_relu_gradient_at_zero_is_zero():
    trace = run(Graph([leaf("x", [0.0, 1.0, -1.0]), node("y", "relu", "x")], "y"))

    np.testing.assert_array_equal(trace.grads["x"], [0.0, 1.0, 0.0])


def test_steps_forward_then_backward():
    graph = load(SAMPLES / "sigmoid_expanded.yaml")
    trace = run(graph)
    forward = [s.node for s in trace.steps if s.phase == "forward"]
    backward = [s.node for s in trace.steps if s.phase == "backward"]

    assert forward == [n.name for n in graph.nodes]
    assert backward == list(reversed(forward))
    assert [s.index for s in trace.steps] == list(range(len(trace.steps)))


def test_sigmoid_stable_for_large_inputs():
    trace = run(Graph([leaf("x", [-1000.0, 1000.0]), node("y", "sigmoid", "x")], "y"))

    np.testing.assert_allclose(trace.output, [0.0, 1.0])
    np.testing.assert_allclose(trace.grads["x"], [0.0, 0.0])


def test_softmax_stable_for_large_inputs():
    trace = run(Graph([leaf("x", [1000.0, 1001.0]), node("y", "softmax", "x")], "y"))
    expected = np.exp([-1.0, 0.0]) / np.exp([-1.0, 0.0]).sum()

    np.testing.assert_allclose(trace.output, expected)


def test_softmax_with_loss_gradient_textbook_formula():
    graph = load(SAMPLES / "two_layer_net.yaml")
    trace = run(graph)
    h2 = trace.values["h2"]
    t = trace.values["t"]
    y = np.exp(h2 - h2.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)

    np.testing.assert_allclose(trace.grads["h2"], (y - t) / h2.shape[0])
