"""Every registered op's backward pass against central differences, at random shapes."""

from __future__ import annotations

import numpy as np
import pytest

from graphviz_bp.gradcheck import check_gradients, numerical_gradient
from graphviz_bp.graph import Graph, Value, leaf
from graphviz_bp.ops import REGISTRY

rng = np.random.default_rng(7)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def one_hot(rows, classes):
    t = np.zeros((rows, classes))
    t[np.arange(rows), rng.integers(0, classes, rows)] = 1.0
    return t


def probabilities(*shape):
    e = np.exp(rng.standard_normal(shape))
    return e / e.sum(axis=-1, keepdims=True)


# (op, input arrays, params, which inputs are constants), several shapes per op.
CASES = [
    ("add", [normal(3, 4), normal(3, 4)], {}),
    ("add", [normal(3, 4), normal(4)], {}),
    ("sub", [normal(2, 3), normal(1, 3)], {}),
    ("mul", [normal(3, 4), normal(3, 4)], {}),
    ("mul", [normal(3, 4), np.array(rng.standard_normal())], {}),
    ("div", [normal(2, 3), positive(2, 3)], {}),
    ("div", [normal(2, 3), away_from_zero(3)], {}),
    ("neg", [normal(4)], {}),
    ("pow", [positive(2, 3), 3.0], {}),
    ("pow", [positive(5), 2.5], {}),
    ("exp", [normal(2, 3)], {}),
    ("log", [positive(2, 3)], {}),
    ("relu", [away_from_zero(3, 4)], {}),
    ("sigmoid", [normal(3, 4)], {}),
    ("tanh", [normal(3, 4)], {}),
    ("matmul", [normal(2, 3), normal(3, 4)], {}),
    ("matmul", [normal(3), normal(3, 4)], {}),
    ("matmul", [normal(2, 3), normal(3)], {}),
    ("matmul", [normal(3), normal(3)], {}),
    ("transpose", [normal(2, 3)], {}),
    ("affine", [normal(2, 3), normal(3, 4), normal(4)], {}),
    ("affine", [normal(3), normal(3, 4), normal(4)], {}),
    ("sum", [normal(2, 3)], {}),
    ("sum", [normal(2, 3)], {"axis": 0}),
    ("sum", [normal(2, 3)], {"axis": -1}),
    ("mean", [normal(2, 3)], {}),
    ("mean", [normal(2, 3)], {"axis": 1}),
    ("softmax", [normal(2, 4)], {}),
    ("softmax", [normal(4)], {}),
    ("cross_entropy", [probabilities(3, 4), one_hot(3, 4)], {}),
    ("cross_entropy", [probabilities(4), probabilities(4)], {}),
    ("softmax_with_loss", [normal(3, 4), one_hot(3, 4)], {}),
    ("softmax_with_loss", [normal(3, 4), probabilities(3, 4)], {}),
    ("mse", [normal(3, 2), normal(3, 2)], {}),
]


def build(op_name, arrays, params):
    values = []
    for index, array in enumerate(arrays):
        # A bare float is a constant (the exponent of pow), as an expression's number is.
        constant = isinstance(array, float)
        values.append(leaf(f"x{index}", array, constant=constant))
    inputs = tuple(v.name for v in values)
    values.append(Value(name="y", kind="node", op=op_name, inputs=inputs, params=params))
    graph = Graph(values, "y")
    # A random seed checks that every op scales by the upstream gradient, not by ones.
    seed = rng.standard_normal(graph["y"].shape)
    return Graph(values, "y", seed=seed)


@pytest.mark.parametrize(("op_name", "arrays", "params"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_op_matches_numerical_gradient(op_name, arrays, params):
    report = check_gradients(build(op_name, arrays, params), tolerance=1e-6)

    assert report.inputs, "no differentiable input was checked"
    for item in report.inputs:
        assert item.kinks == 0, f"{op_name}: {item.name} hit a kink"
        assert item.passed, f"{op_name}: {item.name} max abs error {item.max_abs_error:.3g}"


def test_every_registered_op_has_a_case():
    covered = {case[0] for case in CASES}

    assert covered == set(REGISTRY)


def test_numerical_gradient_of_square():
    graph = build("mul", [np.array([1.5, -2.0]), np.array([1.5, -2.0])], {})
    x = graph["x0"].data

    np.testing.assert_allclose(numerical_gradient(graph, "x0", graph.seed), graph.seed * x, rtol=1e-6)


def test_gradcheck_reports_relu_kink():
    graph = build("relu", [np.array([0.0, 1.0, -1.0])], {})
    report = check_gradients(graph)

    assert report.inputs[0].kinks == 1
    assert report.passed


def test_gradcheck_fails_on_wrong_gradient(monkeypatch):
    op = REGISTRY["exp"]
    monkeypatch.setattr(type(op), "backward", lambda self, g, cache, needs, params: (2 * g * cache,))
    report = check_gradients(build("exp", [normal(3)], {}))

    assert not report.passed
