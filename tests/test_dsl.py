"""The Python DSL: the same values as the YAML front end, shape checks and user errors."""

from __future__ import annotations

import numpy as np
import pytest

import graphviz_bp as bp
from graphviz_bp import dsl
from graphviz_bp.errors import GraphError, ShapeError, SpecError
from graphviz_bp.ops import REGISTRY
from graphviz_bp.spec import arrays
from graphviz_bp.spec.yaml_spec import load_yaml

INPUTS_YAML = "inputs:\n  x: 0.5\n  z: 2.0\n  v: [1.0, -2.0, 3.0]\n  M: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]\n"


def yaml_graph(expression: str, tmp_path):
    text = f"name: g\n{INPUTS_YAML}nodes:\n  y: \"{expression}\"\noutput: y\n"
    return load_yaml(tmp_path / "g.yaml", text=text)


def dsl_graph(build):
    with bp.Network("g") as net:
        x = net.input("x", 0.5)
        z = net.input("z", 2.0)
        v = net.input("v", [1.0, -2.0, 3.0])
        M = net.input("M", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        net.output(net.node("y", build(x, z, v, M)))
    return net.build()


def fields(graph):
    return [
        (v.name, v.kind, v.op, v.inputs, dict(v.params), v.named, v.requires_grad, v.shape,
         None if v.data is None else v.data.tolist())
        for v in graph.values.values()
    ]


# Each YAML expression and the Python expression that must build the same values.
EQUIVALENT = [
    ("1 / (1 + exp(-x))", lambda x, z, v, M: 1 / (1 + bp.exp(-x))),
    ("x * 2 + 3 * z - 4", lambda x, z, v, M: x * 2 + 3 * z - 4),
    ("-2 * x ** 3", lambda x, z, v, M: -2 * x**3),
    ("(x + z) * (x - z) / z", lambda x, z, v, M: (x + z) * (x - z) / z),
    ("sum(M.T @ M, axis=0) * x", lambda x, z, v, M: bp.sum(M.T @ M, axis=0) * x),
    ("mean(relu(v) * v)", lambda x, z, v, M: bp.mean(bp.relu(v) * v)),
    ("matmul(M, v) + tanh(x)", lambda x, z, v, M: bp.matmul(M, v) + bp.tanh(x)),
    ("sigmoid(log(z)) - transpose(M)", lambda x, z, v, M: bp.sigmoid(bp.log(z)) - bp.transpose(M)),
    ("softmax(v) * 0.5", lambda x, z, v, M: bp.softmax(v) * 0.5),
]


@pytest.mark.parametrize(("expression", "build"), EQUIVALENT, ids=[e for e, _ in EQUIVALENT])
def test_dsl_matches_yaml_expression(expression, build, tmp_path):
    expected = yaml_graph(expression, tmp_path)
    actual = dsl_graph(build)

    assert fields(actual) == fields(expected)
    assert bp.to_dot(actual) == bp.to_dot(expected)


def test_numpy_scalar_operand_is_constant(tmp_path):
    actual = dsl_graph(lambda x, z, v, M: np.float64(2.0) * x)

    assert fields(actual) == fields(yaml_graph("2.0 * x", tmp_path))


def test_shared_subexpression_added_once():
    with bp.Network("shared") as net:
        x = net.input("x", 1.0)
        s = 1 + bp.exp(-x)
        y = net.node("y", 1 / s)
        w = net.node("w", s * s)
        net.output(w)
    graph = net.build()

    assert [v.name for v in graph.values.values() if v.op == "add"] == ["y#5"]
    assert graph["w"].inputs == ("y#5", "y#5")
    assert str(s) == "y#5"
    assert str(y) == "y"


def test_unnamed_expression_prints_as_text():
    net = bp.Network("text")
    x = net.input("x", 1.0)
    z = net.input("z", 1.0)

    assert str(1 / (1 + bp.exp(-x))) == "1 / (1 + exp(-x))"
    assert str((x + z) ** 2 - -x) == "(x + z) ** 2 - -x"
    assert str(x - (z - x)) == "x - (z - x)"
    assert str(bp.sum(x * z, axis=None)) == "sum(x * z, axis=None)"


def test_named_constant_and_label():
    with bp.Network("constants") as net:
        x = net.input("x", 1.0)
        c = net.constant("c", 3)
        net.output(net.node("y", x * c, label="scale"))
    graph = net.build()

    assert graph["c"].kind == "constant"
    assert graph["c"].named
    assert graph["y"].label == "scale"


def test_generated_input_matches_arrays_generate():
    net = bp.Network("gen")
    W = net.input("W", shape=(4, 5), init="randn", seed=2, scale=0.5)
    b = net.input("b", shape=5, init="zeros")
    net.output(net.node("y", W + b))
    graph = net.build()

    expected = arrays.generate((4, 5), "randn", seed=2, scale=0.5)
    assert np.array_equal(graph["W"].data, expected)
    assert graph["b"].shape == (5,)


def test_grad_false_input_gets_no_gradient():
    with bp.Network("labels") as net:
        x = net.input("x", [1.0, 2.0, 3.0])
        t = net.input("t", [0, 0, 1], grad=False)
        net.output(net.node("L", bp.softmax_with_loss(x, t)))
    trace = bp.run(net.build())

    assert trace.grads["t"] is None
    assert trace.grads["x"].shape == (3,)


def test_op_functions_cover_registry():
    assert set(dsl.OP_FUNCTIONS) == set(REGISTRY)
    for name in REGISTRY:
        assert getattr(bp, name) is dsl.OP_FUNCTIONS[name]
        assert name in getattr(bp, name).__doc__


def test_shape_mismatch_points_at_caller():
    net = bp.Network("shapes")
    A = net.input("A", [[1.0, 2.0, 3.0]])
    B = net.input("B", [[1.0, 2.0]])

    with pytest.raises(ShapeError) as caught:
        A @ B  # the line the error must point at

    location = caught.value.location
    assert location.path == __file__
    assert location.line == caught.tb.tb_lineno
    assert "A @ B" in caught.value.message


def test_value_from_other_network_rejected():
    first = bp.Network("first")
    second = bp.Network("second")
    x = first.input("x", 1.0)
    z = second.input("z", 1.0)

    with pytest.raises(GraphError, match="different networks"):
        x + z
    with pytest.raises(GraphError, match="belongs to network 'first'"):
        second.node("y", bp.exp(x))


@pytest.mark.parametrize("value", ["abc", [1.0, "a"], None, np.array(["a"]), {"a": 1}])
def test_non_numeric_input_rejected(value):
    net = bp.Network("bad")

    with pytest.raises(SpecError) as caught:
        net.input("x", value)
    assert caught.value.location.path == __file__


@pytest.mark.parametrize("operand", [True, "2", [1.0, 2.0], np.ones(2), 1j])
def test_non_number_operand_rejected(operand):
    net = bp.Network("bad")
    x = net.input("x", 1.0)

    with pytest.raises(SpecError, match="invalid operand"):
        x * operand


def test_input_exponent_rejected():
    net = bp.Network("pow")
    x = net.input("x", 2.0)
    z = net.input("z", 3.0)

    with pytest.raises(GraphError, match="exponent"):
        x**z


def test_op_parameters_checked():
    net = bp.Network("params")
    M = net.input("M", [[1.0, 2.0], [3.0, 4.0]])

    assert bp.sum(M, axis=1).shape == (2,)
    with pytest.raises(SpecError, match="no parameter 'axes'"):
        bp.sum(M, axes=1)
    with pytest.raises(SpecError, match="integer or None"):
        bp.sum(M, axis="rows")
    with pytest.raises(SpecError, match="takes 1 argument"):
        bp.exp(M, M)


def test_duplicate_and_reserved_names_rejected():
    net = bp.Network("names")
    net.input("x", 1.0)

    with pytest.raises(GraphError, match="duplicate name 'x'"):
        net.input("x", 2.0)
    with pytest.raises(SpecError, match="reserved"):
        net.input("a#1", 2.0)
    with pytest.raises(SpecError, match="reserved"):
        net.input("__x", 2.0)


def test_numbers_only_need_active_network():
    with pytest.raises(SpecError, match="belongs to no network"):
        bp.exp(2)

    with bp.Network("numbers") as net:
        x = net.input("x", 1.0)
        net.output(net.node("y", x * bp.exp(2)))
    assert [v.op for v in net.build().nodes] == ["exp", "mul"]


def test_output_needs_name():
    net = bp.Network("out")
    x = net.input("x", 1.0)

    with pytest.raises(SpecError, match="has no name"):
        net.output(bp.exp(x))
    with pytest.raises(SpecError, match="has no output"), bp.Network("empty") as empty:
        empty.input("x", 1.0)


def test_node_of_named_value_rejected():
    net = bp.Network("alias")
    x = net.input("x", 1.0)

    with pytest.raises(SpecError, match="only the value 'x'"):
        net.node("y", x)


def test_tensor_has_no_truth_value():
    net = bp.Network("truth")
    x = net.input("x", 1.0)

    with pytest.raises(SpecError, match="truth value"):
        bool(x)
