"""The label cache: a hit skips sympy, and changed graphs or corrupt files never give wrong labels."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, SAMPLES

from graphviz_bp.annotations import annotations_for
from graphviz_bp.spec import load
from graphviz_bp.symbolic import annotate

RENDER_AND_REPORT = (
    "import sys\n"
    "import graphviz_bp as bp\n"
    "bp.to_dot(bp.load(sys.argv[1]))\n"
    "print('sympy' in sys.modules)\n"
)


def render_in_fresh_process(spec, cache_home):
    result = subprocess.run(
        [sys.executable, "-c", RENDER_AND_REPORT, str(spec)],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={"XDG_CACHE_HOME": str(cache_home), "PATH": "/usr/bin:/bin"},
    )
    return result.stdout.strip() == "True"


def test_second_render_skips_sympy(tmp_path):
    spec = SAMPLES / "sigmoid_expanded.yaml"

    assert render_in_fresh_process(spec, tmp_path) is True
    assert render_in_fresh_process(spec, tmp_path) is False
    assert len(list((tmp_path / "graphviz-bp" / "labels").iterdir())) == 1


def test_cached_labels_equal_computed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    graph = load(SAMPLES / "two_layer_net.yaml")
    first = annotations_for(graph)
    second = annotations_for(graph)
    direct = annotate(graph)

    assert second == direct
    assert first == direct


def test_changed_constant_gets_its_own_labels(tmp_path, monkeypatch, write_spec):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    two = annotations_for(load(write_spec("inputs:\n  x: 1.0\nnodes:\n  y: x ** 2\noutput: y\n", "a.yaml")))
    three = annotations_for(load(write_spec("inputs:\n  x: 1.0\nnodes:\n  y: x ** 3\noutput: y\n", "b.yaml")))

    assert two.edges[("y", 0)] == "∂L/∂y·2·x"
    assert three.edges[("y", 0)] == "∂L/∂y·3·x²"


def test_corrupt_cache_file_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    graph = load(SAMPLES / "sigmoid.yaml")
    annotations_for(graph)
    [cached] = (tmp_path / "graphviz-bp" / "labels").iterdir()
    cached.write_text("{not json", encoding="utf-8")

    assert annotations_for(graph) == annotate(graph)
    assert json.loads(cached.read_text(encoding="utf-8"))["edges"] == [["y", 0, "∂L/∂y·y(1−y)"]]


def test_cache_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("GRAPHVIZ_BP_CACHE", "0")
    annotations_for(load(SAMPLES / "sigmoid.yaml"))

    assert not (tmp_path / "graphviz-bp").exists()
