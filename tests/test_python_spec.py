"""`.py` specs through the CLI: sample twins, choosing a graph, and errors from the spec's code."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import SAMPLES

import graphviz_bp as bp
from graphviz_bp.errors import SpecError

YAML_SAMPLES = sorted(SAMPLES.glob("*.yaml"))

TWO_GRAPHS = """
import graphviz_bp as bp

with bp.Network("square") as square:
    x = square.input("x", 3.0)
    square.output(square.node("y", x ** 2))

with bp.Network("cube") as cube:
    x = cube.input("x", 3.0)
    cube.output(cube.node("y", x ** 3))
"""


def test_every_yaml_sample_has_twin():
    assert YAML_SAMPLES
    for yaml_path in YAML_SAMPLES:
        assert yaml_path.with_suffix(".py").is_file(), yaml_path


@pytest.mark.parametrize("yaml_path", YAML_SAMPLES, ids=[p.stem for p in YAML_SAMPLES])
def test_twin_dot_identical(yaml_path, cli):
    from_yaml = cli("render", str(yaml_path), "-f", "dot", "-o", "-")
    from_python = cli("render", str(yaml_path.with_suffix(".py")), "-f", "dot", "-o", "-")

    assert from_yaml.returncode == 0, from_yaml.stderr
    assert from_python.returncode == 0, from_python.stderr
    assert from_python.stdout == from_yaml.stdout


@pytest.mark.parametrize("yaml_path", YAML_SAMPLES, ids=[p.stem for p in YAML_SAMPLES])
def test_twin_run_json_identical(yaml_path, cli):
    from_yaml = cli("run", str(yaml_path), "--json")
    from_python = cli("run", str(yaml_path.with_suffix(".py")), "--json")

    assert from_yaml.returncode == 0, from_yaml.stderr
    assert from_python.returncode == 0, from_python.stderr
    assert from_python.stdout == from_yaml.stdout


def test_graph_option_chooses(tmp_path, cli):
    spec = tmp_path / "two.py"
    spec.write_text(TWO_GRAPHS, encoding="utf-8")

    by_variable = cli("run", str(spec), "--graph", "cube", "--json")
    assert by_variable.returncode == 0, by_variable.stderr
    assert json.loads(by_variable.stdout)["values"]["x"]["grad"] == pytest.approx(27.0)

    checked = cli("check", str(spec), "--graph", "square")
    assert checked.returncode == 0, checked.stderr

    rendered = cli("render", str(spec), "--graph", "square", "-f", "dot", "-o", "-")
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.startswith(b"digraph square")


def test_graph_option_missing_lists_names(tmp_path, cli):
    spec = tmp_path / "two.py"
    spec.write_text(TWO_GRAPHS, encoding="utf-8")

    missing = cli("run", str(spec))
    assert missing.returncode == 2
    assert b"defines 2 graphs: square, cube" in missing.stderr
    assert b"--graph" in missing.stderr

    unknown = cli("run", str(spec), "--graph", "cub")
    assert unknown.returncode == 2
    assert b"did you mean 'cube'?" in unknown.stderr
    assert b"Traceback" not in unknown.stderr


def test_user_exception_shows_user_traceback(tmp_path, cli):
    spec = tmp_path / "broken.py"
    spec.write_text(
        textwrap.dedent(
            """
            import graphviz_bp as bp

            def scale(value):
                return value / 0

            net = bp.Network("broken")
            x = net.input("x", 1.0)
            net.output(net.node("y", x * scale(2)))
            """
        ),
        encoding="utf-8",
    )

    result = cli("run", str(spec))
    stderr = result.stderr.decode()

    assert result.returncode == 2
    assert "ZeroDivisionError: division by zero" in stderr
    assert f'File "{spec}", line 5, in scale' in stderr
    assert f'File "{spec}", line 9, in <module>' in stderr
    assert "graphviz_bp" not in stderr
    assert "runpy" not in stderr


def test_dsl_error_points_at_spec_line(tmp_path, cli):
    spec = tmp_path / "shapes.py"
    spec.write_text(
        'import graphviz_bp as bp\nnet = bp.Network("n")\nA = net.input("A", [[1.0, 2.0]])\nC = A @ A\n',
        encoding="utf-8",
    )

    result = cli("run", str(spec))

    assert result.returncode == 2
    assert f"{spec}:4:5: in A @ A: matmul".encode() in result.stderr
    assert b"Traceback" not in result.stderr


def test_spec_without_graph_rejected(tmp_path):
    spec = tmp_path / "empty.py"
    spec.write_text("answer = 42\n", encoding="utf-8")

    with pytest.raises(SpecError, match="defines no graph"):
        bp.load(spec)


def test_main_block_skipped_and_helpers_importable(tmp_path):
    (tmp_path / "helpers.py").write_text("START = 2.0\n", encoding="utf-8")
    spec = tmp_path / "uses_helper.py"
    spec.write_text(
        textwrap.dedent(
            """
            import graphviz_bp as bp
            from helpers import START

            with bp.Network("helper") as net:
                x = net.input("x", START)
                net.output(net.node("y", bp.exp(x)))
            graph = net.build()

            if __name__ == "__main__":
                raise SystemExit("the main block must not run")
            """
        ),
        encoding="utf-8",
    )

    graph = bp.load(spec)

    assert graph.name == "helper"
    assert float(graph["x"].data) == 2.0


def test_max_elements_applies_to_python_specs(tmp_path, cli):
    spec = tmp_path / "big.py"
    spec.write_text(
        'import graphviz_bp as bp\nnet = bp.Network("n")\nW = net.input("W", shape=(10, 10))\n',
        encoding="utf-8",
    )

    result = cli("run", str(spec), "--max-elements", "50")

    assert result.returncode == 2
    assert b"more than the limit of 50" in result.stderr
    assert f"{spec}:3:".encode() in result.stderr


def test_yaml_graph_choice_must_match(cli):
    result = cli("run", str(SAMPLES / "apple.yaml"), "--graph", "pear")

    assert result.returncode == 2
    assert b"its graph is 'apple'" in result.stderr
    assert cli("run", str(SAMPLES / "apple.yaml"), "--graph", "apple").returncode == 0
