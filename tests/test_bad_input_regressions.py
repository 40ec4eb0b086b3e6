"""Regression tests for bad input that once overwrote files, hung, leaked output or tracebacks."""

from __future__ import annotations

import json
import os
import stat

import pytest
from conftest import SAMPLES, run_cli

import graphviz_bp as bp
from graphviz_bp.errors import GraphError, LimitError, SpecError
from graphviz_bp.output import write_atomic


def test_library_render_refuses_spec_itself(tmp_path):
    spec = tmp_path / "apple.yaml"
    spec.write_bytes((SAMPLES / "apple.yaml").read_bytes())
    graph = bp.load(spec)

    with pytest.raises(SpecError, match="is the spec itself"):
        bp.render(graph, spec, format="svg")

    assert spec.read_bytes() == (SAMPLES / "apple.yaml").read_bytes()


def test_library_render_unknown_suffix(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")

    with pytest.raises(SpecError, match="cannot tell the format"):
        bp.render(bp.load(SAMPLES / "apple.yaml"), notes)

    assert notes.read_text() == "mine"


def test_computed_value_size_limit(write_spec):
    path = write_spec("inputs:\n  a: {shape: [100000, 1]}\n  b: {shape: [1, 100000]}\nnodes:\n  c: a * b\noutput: c\n")

    with pytest.raises(LimitError, match=r"node 'c' has shape \(100000, 100000\)") as caught:
        bp.load(path)

    assert caught.value.location.line == 5


def test_python_spec_prints_keep_stdout_clean(tmp_path):
    spec = tmp_path / "talks.py"
    spec.write_text(
        "import graphviz_bp as bp\nprint('hello from the spec')\n"
        "with bp.Network('n') as net:\n    x = net.input('x', 2.0)\n    net.output(net.node('y', x * x))\n"
    )
    result = run_cli("run", str(spec), "--json")

    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["values"]["y"]["value"] == 4.0
    assert "hello from the spec" in result.stderr.decode()


def test_named_constant_output_in_json(write_spec):
    result = run_cli("run", str(write_spec("inputs:\n  x: 2\nnodes:\n  y: 5\noutput: y\n")), "--json")

    assert json.loads(result.stdout)["values"]["y"]["value"] == 5.0


def test_control_characters_in_name_rejected(write_spec):
    path = write_spec('name: "pwn\\e]0;title\\a"\ninputs:\n  x: 1\noutput: x\n')

    with pytest.raises(GraphError, match="control character U\\+001B"):
        bp.load(path)


def test_named_pipe_spec_rejected_without_hanging(tmp_path):
    pipe = tmp_path / "spec.yaml"
    os.mkfifo(pipe)
    result = run_cli("run", str(pipe))

    assert result.returncode == 2
    assert "not a regular file" in result.stderr.decode()


def test_base_exception_in_python_spec(tmp_path):
    spec = tmp_path / "odd.py"
    spec.write_text("class Odd(BaseException):\n    pass\n\nraise Odd('weird')\n")
    result = run_cli("run", str(spec))
    stderr = result.stderr.decode()

    assert result.returncode == 2
    assert "Odd: weird" in stderr
    assert "graphviz_bp/" not in stderr
    assert "Traceback (most recent call last)" not in stderr or "cli.py" not in stderr


def test_bad_seed_located(write_spec):
    with pytest.raises(SpecError, match="not a number") as caught:
        bp.load(write_spec("inputs:\n  x: 1\noutput: x\nseed: abc\n"))

    assert caught.value.location.line == 4
    assert "seed" in caught.value.hint


def test_mean_of_empty_has_no_numpy_warning(write_spec):
    result = run_cli("run", str(write_spec("inputs:\n  x: {shape: [0]}\nnodes:\n  m: mean(x)\noutput: m\n")))

    assert result.returncode == 2
    assert "RuntimeWarning" not in result.stderr.decode()
    assert "not finite" in result.stderr.decode()


def test_write_atomic_keeps_permissions(tmp_path):
    path = tmp_path / "private.svg"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_atomic(path, b"new")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_atomic_missing_folder_names_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        write_atomic(tmp_path / "absent" / "figure.svg", b"x")

    assert caught.value.filename == str(tmp_path / "absent")
