"""The CLI run as a subprocess: real files, real Graphviz, exit codes and messages."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from conftest import SAMPLES, run_cli

SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.yaml"))
# Hides pygraphviz from the child process, and PATH has no dot program below.
WITHOUT_BUNDLED = "import sys, runpy; sys.modules['pygraphviz'] = None; sys.argv[0] = 'graphviz-bp';" \
    " runpy.run_module('graphviz_bp', run_name='__main__')"


def svg_text(svg: bytes) -> str:
    """The text content of an SVG, entities decoded."""
    return html.unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode("utf-8"))))


def test_render_svg_beside_spec(tmp_path):
    spec = tmp_path / "sigmoid_expanded.yaml"
    shutil.copy(SAMPLES / "sigmoid_expanded.yaml", spec)
    result = run_cli("render", str(spec))

    assert result.returncode == 0, result.stderr.decode()
    out = tmp_path / "sigmoid_expanded.svg"
    assert result.stdout.decode().strip() == str(out)
    text = svg_text(out.read_bytes())
    assert "−∂L/∂y·y² = −0.3875" in text
    assert "−∂L/∂y·y²·exp(−x) = −0.235" in text
    assert "∂L/∂y·y²·exp(−x) = 0.235" in text
    assert "1+exp(−x) = 1.607" in text


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF-")])
def test_render_binary_formats(tmp_path, fmt, magic):
    out = tmp_path / f"figure.{fmt}"
    result = run_cli("render", str(SAMPLES / "sigmoid_expanded.yaml"), "-o", str(out))

    assert result.returncode == 0, result.stderr.decode()
    assert out.read_bytes().startswith(magic)
    assert out.stat().st_size > 1000


@pytest.mark.parametrize(("sample", "label"), [
    ("sigmoid", "∂L/∂y·y(1−y) = 0.235"),
    ("affine", "∂L/∂Y·Wᵀ"),
    ("affine", "Xᵀ·∂L/∂Y"),
    ("affine_batch", "sum(∂L/∂Y, axis=0)"),
    ("two_layer_net", "∂L/∂h1·W1ᵀ"),
    ("relu", "∂L/∂y·[x>0]"),
])
def test_symbolic_labels_in_svg(sample, label):
    result = run_cli("render", str(SAMPLES / f"{sample}.yaml"), "-o", "-", "-f", "svg")

    assert result.returncode == 0, result.stderr.decode()
    assert label in svg_text(result.stdout)


def test_render_shows_shapes_on_tensor_edges():
    result = run_cli("render", str(SAMPLES / "affine.yaml"), "-f", "svg", "-o", "-")

    text = svg_text(result.stdout)
    assert "(2, 3)" in text
    assert "(3,)" in text


def test_render_numeric_only_has_no_symbols():
    result = run_cli("render", str(SAMPLES / "sigmoid_expanded.yaml"), "-f", "dot", "-o", "-", "--labels", "numeric")

    dot = result.stdout.decode()
    assert "∂L" not in dot
    assert "0.235" in dot


def test_render_forward_only_has_no_gradients():
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-f", "dot", "-o", "-", "--forward-only")

    dot = result.stdout.decode()
    assert "∂L" not in dot
    assert "price = 220" in dot


def test_render_precision_option():
    result = run_cli("render", str(SAMPLES / "sigmoid.yaml"), "-f", "dot", "-o", "-", "--precision", "8")

    assert "0.23500371" in result.stdout.decode()


@pytest.mark.parametrize("fmt", ["dot", "svg"])
def test_render_is_deterministic(tmp_path, fmt):
    outputs = []
    for index in range(2):
        out = tmp_path / f"figure{index}.{fmt}"
        run_cli("render", str(SAMPLES / "two_layer_net.yaml"), "-o", str(out))
        outputs.append(out.read_bytes())

    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 1000


def test_render_refuses_to_overwrite_spec(tmp_path):
    spec = tmp_path / "spec.dot"
    text = "inputs:\n  x: 1.0\nnodes:\n  y: exp(x)\noutput: y\n"
    # A spec with a .yaml suffix is needed to load; the check compares resolved paths.
    yaml_spec = tmp_path / "spec.yaml"
    yaml_spec.write_text(text)
    spec.write_text("keep me")
    result = run_cli("render", str(yaml_spec), "-o", str(yaml_spec), "-f", "svg")

    assert result.returncode == 2
    assert "is the spec itself" in result.stderr.decode()
    assert yaml_spec.read_text() == text


def test_render_format_conflict_is_usage_error(tmp_path):
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(tmp_path / "a.png"), "-f", "svg")

    assert result.returncode == 2
    assert "conflicts" in result.stderr.decode()


def test_render_missing_output_folder(tmp_path):
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(tmp_path / "missing" / "a.svg"))

    assert result.returncode == 2
    assert "does not exist" in result.stderr.decode()


def test_render_replaces_previous_output_whole(tmp_path):
    out = tmp_path / "figure.svg"
    out.write_text("old figure")
    result = run_cli("render", str(SAMPLES / "apple.yaml"), "-o", str(out))

    assert result.returncode == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["figure.svg"]


def test_render_without_any_graphviz_writes_dot(tmp_path):
    spec = tmp_path / "apple.yaml"
    shutil.copy(SAMPLES / "apple.yaml", spec)
    import sys

    result = __import__("subprocess").run(
        [sys.executable, "-c", WITHOUT_BUNDLED, "render", str(spec)],
        capture_output=True, env={"PATH": str(tmp_path), "GRAPHVIZ_BP_BACKEND": "auto"}, check=False,
    )

    assert result.returncode == 1
    message = result.stderr.decode()
    assert "no Graphviz found" in message
    assert "Traceback" not in message
    assert (tmp_path / "apple.dot").read_text(encoding="utf-8").startswith("digraph")
    assert not (tmp_path / "apple.svg").exists()


@pytest.mark.parametrize("command", [["run", "--json"], ["check"], ["ops"]])
def test_commands_work_without_graphviz(tmp_path, command):
    import subprocess
    import sys

    args = [*command, str(SAMPLES / "apple.yaml")] if command != ["ops"] else command
    result = subprocess.run([sys.executable, "-c", WITHOUT_BUNDLED, *args], capture_output=True,
                            env={"PATH": str(tmp_path)}, check=False)

    assert result.returncode == 0, result.stderr.decode()


def test_version_names_backend():
    result = run_cli("--version")

    assert result.returncode == 0
    assert "graphviz-bp 0.1.0" in result.stdout.decode()
    assert "rendering backend:" in result.stdout.decode()


def test_run_json_structure():
    result = run_cli("run", str(SAMPLES / "two_layer_net.yaml"), "--json")
    document = json.loads(result.stdout)

    assert set(document) == {"output", "values"}
    assert document["output"] == "L"
    assert list(document["values"]) == ["X", "W1", "b1", "W2", "b2", "t", "h1", "a1", "h2", "L"]
    assert document["values"]["t"]["grad"] is None
    assert document["values"]["W1"]["shape"] == [4, 5]
    assert len(document["values"]["W1"]["grad"]) == 4
    assert document["values"]["L"]["grad"] == 1.0
    for entry in document["values"].values():
        assert set(entry) == {"shape", "value", "grad"}


def test_run_json_apple_numbers():
    document = json.loads(run_cli("run", str(SAMPLES / "apple.yaml"), "--json").stdout)

    assert document["values"]["price"]["value"] == pytest.approx(220.0)
    assert document["values"]["tax"]["grad"] == pytest.approx(200.0)
    assert document["values"]["price"]["shape"] == []


def test_run_table_lists_named_values():
    result = run_cli("run", str(SAMPLES / "apple_orange.yaml"))
    out = result.stdout.decode()

    assert result.returncode == 0
    for name in ("apple", "orange_num", "all_price", "price"):
        assert name in out
    assert "650" in out


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_every_sample_passes_check(sample):
    result = run_cli("check", str(SAMPLES / f"{sample}.yaml"))

    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert "FAIL" not in result.stdout.decode()


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_every_sample_renders(tmp_path, sample):
    out = tmp_path / f"{sample}.svg"
    result = run_cli("render", str(SAMPLES / f"{sample}.yaml"), "-o", str(out))

    assert result.returncode == 0, result.stderr.decode()
    assert b"<svg" in out.read_bytes()


def test_check_impossible_tolerance_exits_1():
    result = run_cli("check", str(SAMPLES / "sigmoid_expanded.yaml"), "--tol", "1e-300")

    assert result.returncode == 1
    assert "FAIL" in result.stdout.decode()


def test_check_reports_relu_kink(write_spec):
    path = write_spec("inputs:\n  x: [0.0, 1.0]\nnodes:\n  y: relu(x)\noutput: y\n")
    result = run_cli("check", str(path))

    assert result.returncode == 0
    assert "kink" in result.stdout.decode()


def test_ops_lists_registry():
    from graphviz_bp.ops import REGISTRY

    out = run_cli("ops").stdout.decode()
    for name in REGISTRY:
        assert name in out


@pytest.mark.parametrize(("text", "expected"), [
    ("inputs:\n  x: 1.0\nnodes:\n  y: sigmod(x)\noutput: y\n", "spec.yaml:4:6: unknown op 'sigmod'"),
    ("inputs:\n  x: 1.0\nnodes:\n  y: sigmod(x)\noutput: y\n", "did you mean 'sigmoid'?"),
    ("inputs:\n  x: [1.0, 2.0]\n  W: [[1.0]]\nnodes:\n  y: x @ W\noutput: y\n", "(2,) and (1, 1)"),
    ("inputs:\n  x: -1.0\nnodes:\n  y: log(x)\noutput: y\n", "'y'"),
    ("inputs: [1, 2]\noutput: x\n", "must be a mapping"),
    ("", "empty"),
])
def test_spec_errors_exit_2_without_traceback(write_spec, text, expected):
    path = write_spec(text)
    result = run_cli("render", str(path), "-f", "dot", "-o", "-")

    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert expected in stderr
    assert "Traceback" not in stderr
    assert result.stdout == b""


def test_missing_spec_file_exit_2(tmp_path):
    result = run_cli("render", str(tmp_path / "nope.yaml"))

    assert result.returncode == 2
    assert "does not exist" in result.stderr.decode()


def test_special_characters_render_literally(write_spec):
    text = (
        'inputs:\n  "a:b\\\\c": 2.0\n  "<θ>": 3.0\n'
        'nodes:\n  "y&\\"q": {op: mul, args: ["a:b\\\\c", "<θ>"], label: "<&> \\" \\\\ 乘"}\n'
        'output: "y&\\"q"\n'
    )
    path = write_spec(text)
    result = run_cli("render", str(path), "-f", "svg", "-o", "-")

    assert result.returncode == 0, result.stderr.decode()
    content = svg_text(result.stdout)
    assert "a:b\\c" in content
    assert "<θ>" in content
    assert '<&> " \\ 乘' in content
    assert 'y&"q = 6' in content
