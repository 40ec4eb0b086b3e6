"""Composite ops drawn as one node or as their primitive subgraph give the same boundary numbers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES, run_cli

from graphviz_bp.engine import run
from graphviz_bp.errors import SpecError
from graphviz_bp.expand import expand, expandable_nodes
from graphviz_bp.figure import to_dot_source
from graphviz_bp.spec import load


@pytest.mark.parametrize(("sample", "rtol"), [
    ("sigmoid", 1e-12),
    ("affine", 1e-12),
    ("affine_batch", 1e-12),
    # cross_entropy adds 1e-7 inside its log; the fused op uses an exact log-softmax.
    ("two_layer_net", 1e-5),
])
def test_boundary_values_and_gradients_equal(sample, rtol):
    graph = load(SAMPLES / f"{sample}.yaml")
    collapsed = run(graph)
    expanded = run(expand(graph, ["all"]))

    for name in graph.values:
        np.testing.assert_allclose(expanded.values[name], collapsed.values[name], rtol=rtol, err_msg=name)
        if collapsed.grads[name] is None:
            assert expanded.grads[name] is None
        else:
            np.testing.assert_allclose(expanded.grads[name], collapsed.grads[name], rtol=rtol, atol=1e-12,
                                       err_msg=name)


def test_expanded_sigmoid_is_sigmoid_expanded_sample():
    by_hand = to_dot_source(run(load(SAMPLES / "sigmoid_expanded.yaml")))
    expanded = to_dot_source(run(expand(load(SAMPLES / "sigmoid.yaml"), ["y"])))

    assert expanded.splitlines()[1:] == by_hand.splitlines()[1:]


def test_expanded_affine_draws_dot_and_add():
    graph = expand(load(SAMPLES / "affine_batch.yaml"), ["Y"])
    ops = [v.op for v in graph.nodes]

    assert ops == ["matmul", "add"]
    assert graph["Y"].named


def test_expanded_affine_bias_label_sums_axis0():
    dot = to_dot_source(run(expand(load(SAMPLES / "affine_batch.yaml"), ["all"])))

    assert "sum(∂L/∂Y, axis=0)" in dot


def test_expand_avoids_existing_generated_names(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: sigmoid(2 * x)\noutput: y\n")
    graph = load(path)
    expanded = expand(graph, ["y"])

    assert run(expanded).grads["x"] == pytest.approx(run(graph).grads["x"])
    assert len(set(expanded.values)) == len(expanded.values)


def test_yaml_expand_flag(write_spec):
    path = write_spec("inputs:\n  x: 0.5\nnodes:\n  y: {op: sigmoid, args: [x], expand: true}\noutput: y\n")
    graph = expand(load(path))

    assert [v.op for v in graph.nodes] == ["neg", "exp", "add", "div"]


def test_yaml_expand_flag_on_expression(write_spec):
    path = write_spec("inputs:\n  x: 0.5\nnodes:\n  y: {expr: 'sigmoid(x)', expand: true}\noutput: y\n")

    assert len(expand(load(path)).nodes) == 4


def test_expand_unknown_name_lists_valid():
    graph = load(SAMPLES / "two_layer_net.yaml")

    with pytest.raises(SpecError, match="no node has that name") as caught:
        expand(graph, ["h3"])

    assert "h1, h2, L" in caught.value.hint


def test_expand_primitive_node_rejected():
    with pytest.raises(SpecError, match="'relu' has no primitive form"):
        expand(load(SAMPLES / "two_layer_net.yaml"), ["a1"])


def test_expandable_nodes_listed():
    assert expandable_nodes(load(SAMPLES / "two_layer_net.yaml")) == ["h1", "h2", "L"]


def test_cli_expand_all_renders(tmp_path):
    out = tmp_path / "net.svg"
    result = run_cli("render", str(SAMPLES / "two_layer_net.yaml"), "--expand", "all", "-o", str(out))

    assert result.returncode == 0, result.stderr.decode()
    assert b"softmax" in out.read_bytes()


def test_cli_expand_unknown_exit_2():
    result = run_cli("render", str(SAMPLES / "sigmoid.yaml"), "--expand", "z", "-f", "dot", "-o", "-")

    assert result.returncode == 2
    assert "expandable nodes: y" in result.stderr.decode()


def test_cli_check_passes_expanded():
    result = run_cli("check", str(SAMPLES / "two_layer_net.yaml"), "--expand", "all")

    assert result.returncode == 0, result.stdout.decode()


def test_dsl_expand_flag_matches_yaml(write_spec):
    import graphviz_bp as bp

    with bp.Network("sigmoid") as net:
        x = net.input("x", 0.5)
        net.output(net.node("y", bp.sigmoid(x), expand=True))
    from_python = to_dot_source(run(expand(net.build())))
    text = "name: sigmoid\ninputs:\n  x: 0.5\nnodes:\n  y: {op: sigmoid, args: [x], expand: true}\noutput: y\n"
    path = write_spec(text)
    from_yaml = to_dot_source(run(expand(load(path))))

    assert from_python == from_yaml
    assert "exp" in from_python
