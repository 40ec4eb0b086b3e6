"""Bad specs give one clear SpecError with file:line:column, the bad value and a hint."""

from __future__ import annotations

import pytest

from graphviz_bp.engine import run
from graphviz_bp.errors import GraphError, LimitError, NonFiniteError, ShapeError, SpecError
from graphviz_bp.spec import load


def test_unknown_op_suggests_closest(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: sigmod(x)\noutput: y\n")

    with pytest.raises(SpecError, match="unknown op 'sigmod'") as caught:
        load(path)

    assert caught.value.hint == "did you mean 'sigmoid'?"
    assert str(caught.value.location).endswith("spec.yaml:4:6")


def test_undefined_name_points_at_token(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: x + exp(z)\noutput: y\n")

    with pytest.raises(SpecError, match="undefined name 'z'") as caught:
        load(path)

    assert (caught.value.location.line, caught.value.location.column) == (4, 14)


def test_quoted_expression_column_counts_quote(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: '2 * q'\noutput: y\n")

    with pytest.raises(SpecError) as caught:
        load(path)

    assert caught.value.location.column == 11


def test_cycle_is_named(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  a: b + x\n  b: a * x\noutput: b\n")

    with pytest.raises(GraphError, match="cycle: .*a.*b"):
        load(path)


def test_duplicate_name_between_inputs_and_nodes(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  x: exp(x)\noutput: x\n")

    with pytest.raises(GraphError, match="duplicate name 'x'"):
        load(path)


def test_duplicate_yaml_key(write_spec):
    path = write_spec("inputs:\n  x: 1.0\n  x: 2.0\noutput: x\n")

    with pytest.raises(SpecError, match="duplicate key 'x'") as caught:
        load(path)

    assert caught.value.location.line == 3


def test_missing_output_key(write_spec):
    with pytest.raises(SpecError, match="no `output`"):
        load(write_spec("inputs:\n  x: 1.0\n"))


def test_output_not_defined(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: exp(x)\noutput: z\n")

    with pytest.raises(GraphError, match="output 'z'") as caught:
        load(path)

    assert caught.value.location.line == 5


def test_shape_mismatch_names_op_and_shapes(write_spec):
    path = write_spec("inputs:\n  X: [1.0, 2.0]\n  W: [[1.0], [2.0], [3.0]]\nnodes:\n  Y: X @ W\noutput: Y\n")

    with pytest.raises(ShapeError, match=r"matmul: shapes \(2,\) and \(3, 1\)") as caught:
        load(path)

    assert caught.value.node == "Y"


def test_non_finite_names_node(write_spec):
    graph = load(write_spec("inputs:\n  x: -1.0\nnodes:\n  y: log(x)\noutput: y\n"))

    with pytest.raises(NonFiniteError, match="'y'") as caught:
        run(graph)

    assert caught.value.node == "y"


@pytest.mark.parametrize(
    "expression",
    ["x.__class__", "(lambda: 1)()", "x[0]", "x if x else x", "'text'", "open('f')", "x.y"],
)
def test_disallowed_expression_rejected(write_spec, expression):
    path = write_spec(f'inputs:\n  x: 1.0\nnodes:\n  y: "{expression}"\noutput: y\n')

    with pytest.raises(SpecError):
        load(path)


def test_python_tag_rejected(write_spec):
    path = write_spec("inputs:\n  x: !!python/object/apply:os.system ['true']\noutput: x\n")

    with pytest.raises(SpecError, match="tag") as caught:
        load(path)

    assert caught.value.location.line == 2


def test_yaml_syntax_error_located(write_spec):
    path = write_spec("inputs:\n  x: [1, 2\noutput: x\n")

    with pytest.raises(SpecError, match="invalid YAML") as caught:
        load(path)

    assert caught.value.location is not None


def test_ragged_list_rejected(write_spec):
    with pytest.raises(SpecError, match="ragged"):
        load(write_spec("inputs:\n  x: [[1, 2], [3]]\noutput: x\n"))


def test_non_numeric_input_rejected(write_spec):
    with pytest.raises(SpecError, match="'abc'"):
        load(write_spec("inputs:\n  x: [1, abc]\noutput: x\n"))


def test_syntax_error_in_expression(write_spec):
    path = write_spec("inputs:\n  x: 1.0\nnodes:\n  y: (x + \noutput: y\n")

    with pytest.raises(SpecError, match="invalid expression"):
        load(path)


def test_unknown_top_level_key_hint(write_spec):
    with pytest.raises(SpecError, match="unknown key 'ouput'") as caught:
        load(write_spec("inputs:\n  x: 1.0\nouput: x\n"))

    assert "output" in caught.value.hint


def test_unknown_init_hint(write_spec):
    with pytest.raises(SpecError, match="unknown init 'randm'") as caught:
        load(write_spec("inputs:\n  x: {shape: [2], init: randm}\noutput: x\n"))

    assert "randn" in caught.value.hint


def test_element_limit_rejected_before_allocation(write_spec):
    path = write_spec("inputs:\n  x: {shape: [100000, 100000], init: zeros}\noutput: x\n")

    with pytest.raises(LimitError, match=r"\(100000, 100000\)"):
        load(path)


@pytest.mark.parametrize("depth", [250, 5000])
def test_deep_parentheses_clear_error(write_spec, depth):
    deep = "(" * depth + "x" + ")" * depth
    path = write_spec(f"inputs:\n  x: 1.0\nnodes:\n  y: exp({deep})\noutput: y\n")

    with pytest.raises(SpecError, match="node 'y'"):
        load(path)


def test_deep_unary_chain_clear_error(write_spec):
    path = write_spec(f"inputs:\n  x: 1.0\nnodes:\n  y: {'-' * 400}x\noutput: y\n")

    with pytest.raises(LimitError, match="nested more than"):
        load(path)


def test_long_sum_chain_clear_error(write_spec):
    chain = " + ".join(["x"] * 3000)
    path = write_spec(f"inputs:\n  x: 1.0\nnodes:\n  y: {chain}\noutput: y\n")

    with pytest.raises(LimitError, match="nested"):
        load(path)


def test_alias_bomb_rejected(write_spec):
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]")
    text = "inputs:\n" + "\n".join("  " + line for line in lines) + "\noutput: a8\n"

    with pytest.raises(LimitError, match="YAML nodes"):
        load(write_spec(text))


def test_pow_exponent_must_be_constant(write_spec):
    path = write_spec("inputs:\n  x: 2.0\n  c: 3.0\nnodes:\n  y: x ** c\noutput: y\n")

    with pytest.raises(GraphError, match="exponent"):
        load(path)


def test_scientific_notation_is_a_number(write_spec):
    graph = load(write_spec("inputs:\n  x: 1e-3\noutput: x\n"))

    assert float(graph["x"].data) == 0.001


@pytest.mark.parametrize(("expression", "value"), [("-(-1) * x", 1.0), ("2 * 3 + x", 6.0), ("2 ** 3 * x", 8.0)])
def test_constant_arithmetic_folded(write_spec, expression, value):
    graph = load(write_spec(f"inputs:\n  x: 1.0\nnodes:\n  y: {expression}\noutput: y\n"))
    constants = [v for v in graph.values.values() if v.kind == "constant"]

    assert len(constants) == 1
    assert float(constants[0].data) == value


@pytest.mark.parametrize("expression", ["x * (1 / 0)", "x * 9 ** 9 ** 9", "x * (-8) ** 0.5"])
def test_constant_arithmetic_errors(write_spec, expression):
    with pytest.raises(SpecError, match="constant expression"):
        load(write_spec(f"inputs:\n  x: 1.0\nnodes:\n  y: \"{expression}\"\noutput: y\n"))
