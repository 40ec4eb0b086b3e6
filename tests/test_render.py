"""DOT building, themes and backends, compared as text where no layout is needed."""

from __future__ import annotations

import struct

import pytest
from conftest import SAMPLES

from graphviz_bp.engine import run
from graphviz_bp.errors import SpecError
from graphviz_bp.figure import RenderOptions, find_backend, render_bytes, to_dot_source
from graphviz_bp.figure.labels import format_array, format_number
from graphviz_bp.spec import load


@pytest.fixture(scope="module")
def sigmoid_trace():
    return run(load(SAMPLES / "sigmoid_expanded.yaml"))


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_book_theme_colors(sigmoid_trace):
    dot = to_dot_source(sigmoid_trace)

    assert 'COLOR="#d62728"' in dot
    assert "bgcolor=white" in dot


def test_mono_theme_sets_gradients_in_italics(sigmoid_trace):
    dot = to_dot_source(sigmoid_trace, RenderOptions(theme="mono"))

    assert "<I>−∂L/∂y·y² = −0.3875</I>" in dot
    assert "#d62728" not in dot


def test_dark_theme_background(sigmoid_trace):
    assert "bgcolor=\"#1e1e1e\"" in to_dot_source(sigmoid_trace, RenderOptions(theme="dark"))


def test_transparent_background(sigmoid_trace):
    assert "bgcolor=transparent" in to_dot_source(sigmoid_trace, RenderOptions(transparent=True))


def test_unknown_theme_lists_valid_ones():
    with pytest.raises(SpecError, match="unknown theme 'neon'") as caught:
        RenderOptions(theme="neon")

    assert "book, dark, mono" in caught.value.hint


def test_tb_layout_uses_north_south_ports(sigmoid_trace):
    dot = to_dot_source(sigmoid_trace, RenderOptions(rankdir="TB"))

    assert ":line:n" in dot
    assert ":line:s" in dot
    assert "rankdir=TB" in dot


def test_every_use_is_its_own_edge():
    from graphviz_bp.graph import Graph, Value, leaf

    graph = Graph([leaf("x", 3.0), Value(name="y", kind="node", op="mul", inputs=("x", "x"))], "y")
    dot = to_dot_source(run(graph))

    assert dot.count("x -> ") == 2
    assert dot.count("∂L/∂y·x = 3") == 2


def test_constant_edge_has_no_label_node(sigmoid_trace):
    dot = to_dot_source(sigmoid_trace)

    assert '"y#1" -> y' in dot


@pytest.mark.skipif(find_backend() is None, reason="no Graphviz backend")
def test_dpi_scales_png(sigmoid_trace):
    backend = find_backend()
    source = to_dot_source(sigmoid_trace)
    small = png_size(backend.render(source, "png", dpi=48))
    large = png_size(backend.render(source, "png", dpi=96))

    assert large[0] == pytest.approx(2 * small[0], rel=0.05)


@pytest.mark.skipif(find_backend() is None, reason="no Graphviz backend")
def test_render_bytes_svg(sigmoid_trace):
    svg = render_bytes(sigmoid_trace, "svg")

    assert svg.startswith(b"<?xml")
    assert "∂L/∂y".encode() in svg


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [(220.00000000000003, 4, "220"), (-0.38745561900026, 4, "−0.3875"), (2.2, 4, "2.2"), (-0.0, 4, "0"),
     (0.2350037122, 8, "0.23500371"), (1e-9, 3, "1e−09"), (220.00000000000003, 2, "220"), (100.0, 2, "100"),
     (1.1, 1, "1"), (123456789.0, 4, "1.235e+08")],
)
def test_format_number(value, precision, expected):
    assert format_number(value, precision) == expected


def test_format_array_matrix_rows():
    import numpy as np

    assert format_array(np.array([[1.0, 2.0], [3.0, 4.0]]), 4) == ["[[1, 2]", " [3, 4]]"]
    assert format_array(np.array([[1.0, 2.0]]), 4) == ["[[1, 2]]"]
    assert format_array(np.zeros((3, 3)), 4) is None


@pytest.mark.skipif(find_backend() is None, reason="no Graphviz backend")
def test_html_like_node_name_renders():
    from graphviz_bp.graph import Graph, Value, leaf

    graph = Graph([leaf("x", 1.0), Value(name="<b>out</b>", kind="node", op="exp", inputs=("x",))], "<b>out</b>")
    svg = render_bytes(run(graph), "svg").decode("utf-8")

    assert "&lt;b&gt;out&lt;/b&gt; = 2.718" in svg
