"""The Python API: docs/python.md examples run as written, and to_dot and render match the CLI."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import ROOT, SAMPLES

import graphviz_bp as bp
from graphviz_bp.errors import SpecError

DOC = ROOT / "docs" / "python.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_docs_examples_run(tmp_path, monkeypatch):
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    shutil.copytree(SAMPLES, tmp_path / "samples")
    monkeypatch.chdir(tmp_path)

    for index, block in enumerate(blocks):
        namespace = {"__name__": f"docs_example_{index}"}
        exec(compile(block, f"{DOC}:block{index + 1}", "exec"), namespace)

    assert (tmp_path / "apple.dot").read_text(encoding="utf-8").startswith("digraph apple")


def test_public_names_documented():
    for name in bp.__all__:
        item = getattr(bp, name)
        assert item.__doc__ and item.__doc__.strip(), name


def test_to_dot_matches_cli(cli):
    result = cli("render", str(SAMPLES / "two_layer_net.yaml"), "-f", "dot", "-o", "-", "--labels", "numeric",
                 "--rankdir", "TB", "--precision", "3")

    assert result.returncode == 0, result.stderr
    graph = bp.load(SAMPLES / "two_layer_net.yaml")
    assert bp.to_dot(graph, labels="numeric", rankdir="TB", precision=3) == result.stdout.decode("utf-8")


def test_render_writes_file(tmp_path):
    trace = bp.run(bp.load(SAMPLES / "apple.py"))

    written = bp.render(trace, tmp_path / "apple.dot")
    assert written == tmp_path / "apple.dot"
    assert written.read_text(encoding="utf-8") == bp.to_dot(trace)

    forced = bp.render(trace, tmp_path / "figure", format="dot", forward_only=True)
    assert forced.read_text(encoding="utf-8") == bp.to_dot(trace, forward_only=True)
    assert not list(tmp_path.glob(".*.tmp"))


def test_render_svg(tmp_path, monkeypatch):
    pytest.importorskip("pygraphviz")
    monkeypatch.setenv("GRAPHVIZ_BP_BACKEND", "bundled")

    written = bp.render(bp.load(SAMPLES / "sigmoid.yaml"), tmp_path / "sigmoid.svg")

    assert b"<svg" in written.read_bytes()


def test_render_rejects_bad_format(tmp_path):
    graph = bp.load(SAMPLES / "apple.yaml")

    with pytest.raises(SpecError, match="unknown format 'gif'"):
        bp.render(graph, tmp_path / "a.gif", format="gif")
    with pytest.raises(SpecError, match="conflicts"):
        bp.render(graph, tmp_path / "a.svg", format="png")
    with pytest.raises(SpecError, match="unknown label mode"):
        bp.to_dot(graph, labels="everything")
    with pytest.raises(SpecError, match="expected a Trace, Graph or Network"):
        bp.to_dot("samples/apple.yaml")
    assert not list(tmp_path.iterdir())


def test_api_render_html_and_theme(tmp_path):
    graph = bp.load(SAMPLES / "apple.yaml")
    page = bp.render(graph, tmp_path / "apple.html", theme="dark")

    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert 'bgcolor="#1e1e1e"' in bp.to_dot(graph, theme="dark")
