"""Large graphs: the compact layout, the node limit, and the 5,999-value sample."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, run_cli

from graphviz_bp.engine import run
from graphviz_bp.figure import RenderOptions, to_dot_source
from graphviz_bp.figure.dot import COMPACT_THRESHOLD, resolve_layout
from graphviz_bp.spec import load


def test_resolve_layout_threshold():
    auto = RenderOptions()

    assert resolve_layout(COMPACT_THRESHOLD, auto) == "full"
    assert resolve_layout(COMPACT_THRESHOLD + 1, auto) == "compact"
    assert resolve_layout(10, RenderOptions(layout="compact")) == "compact"
    assert resolve_layout(10**6, RenderOptions(layout="full")) == "full"


def test_compact_dot_has_no_edge_label_nodes():
    trace = run(load(SAMPLES / "apple.yaml"))
    dot = to_dot_source(trace, RenderOptions(layout="compact"))

    assert "#edge" not in dot
    assert "label=" in dot
    assert "× apple_price" in dot
    assert ">220<" in dot
    assert '<FONT COLOR="#d62728">200</FONT>' in dot


def test_compact_step_frame_blanks_unknown_gradients():
    trace = run(load(SAMPLES / "apple.yaml"))
    first_backward = next(s.index for s in trace.steps if s.phase == "backward")
    dot = to_dot_source(trace, RenderOptions(layout="compact", step=first_backward))

    # After the first backward step (price), ∂L/∂apple_price is complete but ∂L/∂apple is not.
    assert re.search(r'"?apple_price"? \[label=<.*<FONT COLOR="#d62728">1\.1</FONT>', dot)
    assert re.search(r'\bapple \[label=<.*<FONT COLOR="transparent">2\.2</FONT>', dot)


def test_unknown_layout_rejected():
    from graphviz_bp.errors import SpecError

    with pytest.raises(SpecError, match="unknown layout 'tiny'"):
        RenderOptions(layout="tiny")


def test_max_nodes_rejects_before_layout(tmp_path):
    out = tmp_path / "net.svg"
    result = run_cli("render", str(SAMPLES / "two_layer_net.yaml"), "--max-nodes", "5", "-o", str(out))

    assert result.returncode == 2
    assert "more than the --max-nodes limit of 5" in result.stderr.decode()
    assert not out.exists()


def test_large_sample_renders_compact(tmp_path):
    out = tmp_path / "wide.svg"
    result = run_cli("render", str(SAMPLES / "large" / "wide_5000.py"), "-o", str(out))

    assert result.returncode == 0, result.stderr.decode()
    assert "compact layout" in result.stderr.decode()
    svg = out.read_text(encoding="utf-8")
    assert svg.count('class="node"') == 5999
    assert "Warning" not in result.stderr.decode()


def test_layout_full_forced_small_graph():
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-f", "dot", "-o", "-", "--layout", "full")

    assert "#edge" in result.stdout.decode()
    assert result.stderr == b""
