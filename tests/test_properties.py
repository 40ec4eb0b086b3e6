"""Property-based tests: random graphs from the op registry, random names and labels.

Graphs are drawn from recipes that keep every op inside its domain: log and pow take
sigmoid(·) in (0, 1), div divides by exp(·) > 0, and exp takes tanh(·). So backprop can be
compared with central differences everywhere except at kinks, which gradcheck skips.
"""

from __future__ import annotations

import html

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphviz_bp.engine import run
from graphviz_bp.errors import GraphError, SpecError
from graphviz_bp.figure import RenderOptions, find_backend, render_bytes, to_dot_source
from graphviz_bp.gradcheck import check_gradients
from graphviz_bp.graph import Graph, Value, leaf
from graphviz_bp.ops import REGISTRY
from graphviz_bp.spec.yaml_spec import load_yaml

needs_graphviz = pytest.mark.skipif(find_backend() is None, reason="no Graphviz backend to draw the figure")
BOUNDED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

# Ops that the recipes below cover. The coverage test fails when the registry grows.
COVERED_OPS = {
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "relu", "sigmoid", "tanh",
    "matmul", "transpose", "affine", "sum", "mean", "softmax", "cross_entropy", "softmax_with_loss", "mse",
}
SHAPES = [(), (3,), (2, 3), (3, 2)]


def _array(draw, shape: tuple[int, ...], low: float = -2.0, high: float = 2.0) -> np.ndarray:
    size = int(np.prod(shape))
    numbers = draw(st.lists(st.floats(low, high, allow_nan=False), min_size=size, max_size=size))
    return np.array(numbers, dtype=np.float64).reshape(shape)


class _Builder:
    """A growing list of graph values. Each method appends one value and returns its name."""

    def __init__(self, draw) -> None:
        self.draw = draw
        self.values: list[Value] = []
        self.shapes: dict[str, tuple[int, ...]] = {}

    def input(self, shape: tuple[int, ...], *, grad: bool = True, data: np.ndarray | None = None) -> str:
        name = f"x{len(self.values)}"
        data = _array(self.draw, shape) if data is None else data
        self.values.append(leaf(name, data, requires_grad=grad))
        self.shapes[name] = shape
        return name

    def constant(self, number: float) -> str:
        name = f"c{len(self.values)}"
        self.values.append(leaf(name, number, constant=True))
        self.shapes[name] = ()
        return name

    def node(self, op: str, *inputs: str, **params) -> str:
        name = f"v{len(self.values)}"
        shape = REGISTRY[op].infer_shape(tuple(self.shapes[i] for i in inputs), params)
        self.values.append(Value(name=name, kind="node", op=op, inputs=inputs, params=params))
        self.shapes[name] = tuple(shape)
        return name

    def one_hot(self, shape: tuple[int, ...]) -> str:
        rows = int(np.prod(shape[:-1]))
        hot = self.draw(st.lists(st.integers(0, shape[-1] - 1), min_size=rows, max_size=rows))
        data = np.eye(shape[-1])[hot].reshape(shape)
        return self.input(shape, grad=False, data=data)


def _apply(builder: _Builder, recipe: str, a: str) -> str:
    """Apply `recipe` to the value `a`, adding whatever other operands it needs."""
    shape = builder.shapes[a]
    draw = builder.draw
    if recipe in ("neg", "relu", "sigmoid", "tanh", "softmax"):
        return builder.node(recipe, a)
    if recipe == "exp":
        return builder.node("exp", builder.node("tanh", a))
    if recipe == "log":
        return builder.node("log", builder.node("sigmoid", a))
    if recipe == "pow":
        exponent = builder.constant(draw(st.sampled_from([2.0, 3.0, 0.5, -1.0])))
        return builder.node("pow", builder.node("sigmoid", a), exponent)
    if recipe in ("add", "sub", "mul", "mse"):
        other_shape = draw(st.sampled_from([shape, ()])) if recipe != "mse" else shape
        return builder.node(recipe, a, builder.input(other_shape))
    if recipe == "div":
        if draw(st.booleans()):
            return builder.node("div", a, builder.node("exp", builder.node("tanh", builder.input(shape))))
        return builder.node("div", builder.input(shape), builder.node("exp", builder.node("tanh", a)))
    if recipe in ("sum", "mean"):
        axis = draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
        return builder.node(recipe, a, axis=axis)
    if recipe == "transpose":
        return builder.node("transpose", a)
    if recipe == "matmul":
        inner = shape[-1]
        return builder.node("matmul", a, builder.input((inner, draw(st.integers(1, 3)))))
    if recipe == "affine":
        columns = draw(st.integers(1, 3))
        return builder.node("affine", a, builder.input((shape[-1], columns)), builder.input((columns,)))
    if recipe == "cross_entropy":
        return builder.node("cross_entropy", builder.node("softmax", a), builder.one_hot(shape))
    if recipe == "softmax_with_loss":
        return builder.node("softmax_with_loss", a, builder.one_hot(shape))
    raise AssertionError(f"no recipe {recipe}")


def _recipes_for(shape: tuple[int, ...]) -> list[str]:
    recipes = ["neg", "relu", "sigmoid", "tanh", "exp", "log", "pow", "add", "sub", "mul", "div", "sum", "mean"]
    if len(shape) >= 1:
        recipes += ["softmax", "mse", "matmul", "cross_entropy", "softmax_with_loss"]
    if len(shape) == 2:
        recipes += ["transpose", "affine"]
    return recipes


@st.composite
def random_graphs(draw) -> Graph:
    builder = _Builder(draw)
    current = builder.input(draw(st.sampled_from(SHAPES)))
    for _ in range(draw(st.integers(1, 4))):
        recipe = draw(st.sampled_from(_recipes_for(builder.shapes[current])))
        current = _apply(builder, recipe, current)
    return Graph(builder.values, current, name="random")


def test_recipes_cover_registry():
    assert set(REGISTRY) == COVERED_OPS


@BOUNDED
@given(random_graphs())
def test_backprop_matches_central_differences(graph):
    report = check_gradients(graph, tolerance=1e-4)

    failures = [(item.name, item.max_abs_error, item.max_rel_error) for item in report.inputs if not item.passed]
    assert not failures, f"{graph.nodes}: {failures}"


@BOUNDED
@given(random_graphs())
def test_passes_are_deterministic(graph):
    first = run(graph)
    second = run(graph)

    for name in graph.values:
        assert np.array_equal(first.values[name], second.values[name])
        assert first.values[name].tobytes() == second.values[name].tobytes()
        if first.grads[name] is None:
            assert second.grads[name] is None
        else:
            assert first.grads[name].tobytes() == second.grads[name].tobytes()
    assert first.edge_grads.keys() == second.edge_grads.keys()
    for key, grad in first.edge_grads.items():
        if grad is None:
            assert second.edge_grads[key] is None
        else:
            assert grad.tobytes() == second.edge_grads[key].tobytes()


@needs_graphviz
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs(), st.sampled_from(["both", "numeric", "shapes"]), st.sampled_from(["LR", "TB"]))
def test_random_graph_dot_is_drawn(graph, labels, rankdir):
    svg = render_bytes(run(graph), "svg", RenderOptions(labels=labels, rankdir=rankdir))

    assert svg.startswith(b"<?xml")
    assert b"</svg>" in svg


# Printable text of any script, plus the characters that DOT, HTML labels or escStrings treat
# specially. '#' is excluded because the figure's own node ids use it.
SPECIAL = ['"', "\\", ":", "<", ">", "&", "\\N", "\\G", "\\l", "{", "}", "|", ";", "%", "'", "\u00a0", "é", "∂", "😀"]
printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="#\ufffe\uffff")
names = st.lists(st.one_of(st.sampled_from(SPECIAL), printable), min_size=1, max_size=8).map("".join).filter(
    lambda text: text.strip() == text and text != ""
)


def _drawn_text(trace, labels: str = "both") -> str:
    return html.unescape(render_bytes(trace, "svg", RenderOptions(labels=labels)).decode("utf-8"))


def _labelled_graph(input_name: str, node_name: str, label: str, graph_name: str = "g") -> Graph:
    return Graph(
        [leaf(input_name, 2.0), Value(name=node_name, kind="node", op="exp", inputs=(input_name,), label=label)],
        node_name,
        name=graph_name,
    )


@needs_graphviz
@BOUNDED
@given(names, names, names, names)
def test_names_and_labels_drawn_literally(input_name, node_name, label, graph_name):
    if input_name == node_name:
        node_name += "2"
    trace = run(_labelled_graph(input_name, node_name, label, graph_name))

    text = _drawn_text(trace, labels="numeric")

    assert input_name in text
    assert node_name in text
    assert label in text


@needs_graphviz
def test_names_with_dot_syntax_drawn():
    cases = ["a:b", "port:n:e", "a\\", "a\\N", '\\"', "<b>x</b>", "node", "edge", "a\"b", "x;y", "%41;"]
    for name in cases:
        trace = run(_labelled_graph(name, name + "!", name + " label", graph_name=name))

        text = _drawn_text(trace)

        assert name in text, name
        assert name + " label" in text, name


@needs_graphviz
@pytest.mark.parametrize(
    ("input_name", "node_name", "label", "graph_name"),
    [("a\x01b", "n", "l", "g"), ("a", "tab\there", "l", "g"), ("a", "n", "line\nbreak", "g"),
     ("a", "n", "l", "bell\x07"), ("a", "n", "del\x7f", "g")],
)
def test_control_characters_rejected(input_name, node_name, label, graph_name):
    # They would reach a terminal through `run` and `step` as escape sequences.
    with pytest.raises(GraphError, match="control character"):
        _labelled_graph(input_name, node_name, label, graph_name)


@needs_graphviz
def test_lone_surrogate_drawn_as_replacement():
    trace = run(_labelled_graph("a\ud800", "b", "c\udfff"))

    text = _drawn_text(trace, labels="numeric")

    assert "a\ufffd" in text
    assert "c\ufffd" in text


def test_distinct_names_keep_distinct_dot_ids():
    graph = Graph(
        [leaf("a:b", 1.0), leaf("a%3A;b", 2.0), Value(name="s", kind="node", op="add", inputs=("a:b", "a%3A;b"))],
        "s",
    )

    source = to_dot_source(run(graph), RenderOptions(labels="numeric"))

    assert '"a%3A;b" [' in source
    assert '"a%25;3A;b" [' in source


@pytest.mark.parametrize("name", ["x\x01", "x\ny", "x\x7f", "\ud800"])
def test_spec_rejects_control_characters_in_names(name):
    escaped = name.encode("unicode_escape").decode("ascii")
    text = f'inputs:\n  "{escaped}": 1.0\nnodes:\n  y: {{op: exp, args: ["{escaped}"]}}\noutput: y\n'

    with pytest.raises(SpecError, match="control character or a lone surrogate") as caught:
        load_yaml("spec.yaml", text=text)

    assert caught.value.location.line == 2


# Random expression trees written both as YAML text and with the Python DSL. Each tree is a
# tuple: ("name", n), ("number", c), ("unary", op, child) or ("binary", symbol, left, right).
_UNARY = ("neg", "exp", "sigmoid", "tanh")
_BINARY = ("+", "-", "*")
_trees = st.recursive(
    st.one_of(
        st.tuples(st.just("name"), st.sampled_from(["x", "y"])),
        st.tuples(st.just("number"), st.integers(min_value=-3, max_value=3)),
    ),
    lambda children: st.one_of(
        st.tuples(st.just("unary"), st.sampled_from(_UNARY), children),
        st.tuples(st.just("binary"), st.sampled_from(_BINARY), children, children),
    ),
    max_leaves=8,
)


def _tree_text(tree) -> str:
    kind = tree[0]
    if kind == "name":
        return tree[1]
    if kind == "number":
        return str(tree[1])
    if kind == "unary":
        inner = _tree_text(tree[2])
        return f"-({inner})" if tree[1] == "neg" else f"{tree[1]}({inner})"
    return f"({_tree_text(tree[2])}) {tree[1]} ({_tree_text(tree[3])})"


def _tree_tensor(tree, names, bp):
    kind = tree[0]
    if kind == "name":
        return names[tree[1]]
    if kind == "number":
        return tree[1]
    if kind == "unary":
        inner = _tree_tensor(tree[2], names, bp)
        return -inner if tree[1] == "neg" else getattr(bp, tree[1])(inner)
    left, right = _tree_tensor(tree[2], names, bp), _tree_tensor(tree[3], names, bp)
    return {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}[tree[1]](left, right)


def _has_name(tree) -> bool:
    return tree[0] == "name" or any(_has_name(child) for child in tree[2:] if isinstance(child, tuple))


@BOUNDED
@given(_trees.filter(lambda tree: tree[0] in ("unary", "binary") and _has_name(tree)))
def test_yaml_and_dsl_give_same_dot(tree):
    import graphviz_bp as bp

    text = f"name: g\ninputs:\n  x: 0.3\n  y: -0.7\nnodes:\n  z: \"{_tree_text(tree)}\"\noutput: z\n"
    from_yaml = load_yaml("random.yaml", text=text)
    with bp.Network("g") as net:
        names = {"x": net.input("x", 0.3), "y": net.input("y", -0.7)}
        net.output(net.node("z", _tree_tensor(tree, names, bp)))
    options = RenderOptions(labels="numeric")

    assert to_dot_source(run(net.build()), options) == to_dot_source(run(from_yaml), options)
