"""Hostile YAML specs exit with code 2 and touch no file, and the package never starts a shell."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from graphviz_bp.errors import GraphvizBPError
from graphviz_bp.spec.yaml_spec import load_yaml

PACKAGE = ROOT / "graphviz_bp"
# A file that any successful attack in the specs below would create in the working folder.
MARKER = "pwned"

# Nine levels of ten aliases each: 10**9 list entries once expanded.
ALIAS_BOMB = "inputs:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
    f"  {name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
) + "output: a\n"
HOSTILE_SPECS: dict[str, str] = {
    "python_object_apply": f"inputs:\n  x: !!python/object/apply:os.system ['touch {MARKER}']\noutput: x\n",
    "python_object_new": "inputs:\n  x: !!python/object/new:subprocess.Popen [[touch, pwned]]\noutput: x\n",
    "python_name": "inputs:\n  x: !!python/name:os.system\noutput: x\n",
    "python_module": "inputs:\n  x: !!python/module:os\noutput: x\n",
    "python_tag_on_key": "inputs:\n  !!python/str x: 1.0\noutput: x\n",
    "custom_tag": "inputs:\n  x: !shell 'touch pwned'\noutput: x\n",
    "alias_bomb": ALIAS_BOMB,
    "dunder_attribute": "inputs:\n  x: 1.0\nnodes:\n  y: x.__class__\noutput: y\n",
    "dunder_import": f"inputs:\n  x: 1.0\nnodes:\n  y: __import__('os').system('touch {MARKER}')\noutput: y\n",
    "dunder_name": "inputs:\n  x: 1.0\nnodes:\n  y: exp(__builtins__)\noutput: y\n",
    "dunder_input_name": "inputs:\n  __class__: 1.0\nnodes:\n  y: exp(__class__)\noutput: y\n",
    "attribute_chain": "inputs:\n  x: 1.0\nnodes:\n  y: exp.__globals__\noutput: y\n",
    "open_call": f"inputs:\n  x: 1.0\nnodes:\n  y: open('{MARKER}', 'w')\noutput: y\n",
    "eval_call": f"inputs:\n  x: 1.0\nnodes:\n  y: eval(\"open('{MARKER}', 'w')\")\noutput: y\n",
    "lambda": "inputs:\n  x: 1.0\nnodes:\n  y: (lambda: 1)()\noutput: y\n",
    "comprehension": "inputs:\n  x: 1.0\nnodes:\n  y: '[c for c in ().__class__.__bases__]'\noutput: y\n",
    "subscript": "inputs:\n  x: [1.0, 2.0]\nnodes:\n  y: x[0]\noutput: y\n",
    "fstring": "inputs:\n  x: 1.0\nnodes:\n  y: f'{x}'\noutput: y\n",
    "walrus": "inputs:\n  x: 1.0\nnodes:\n  y: (z := x)\noutput: y\n",
    "op_key_dunder": "inputs:\n  x: 1.0\nnodes:\n  y: {op: __import__, args: [x]}\noutput: y\n",
    "huge_shape": "inputs:\n  x: {shape: [100000, 100000]}\noutput: x\n",
    "huge_zero_shape": "inputs:\n  x: {shape: [99999999999999999999, 0]}\noutput: x\n",
    "many_dimensions": "inputs:\n  x: {shape: [" + ", ".join(["1"] * 100) + "]}\noutput: x\n",
    "huge_integer": "inputs:\n  x: " + "9" * 5000 + "\noutput: x\n",
    "huge_expression_constant": "inputs:\n  x: 1.0\nnodes:\n  y: x * " + "9" * 400 + "\noutput: y\n",
    "deep_yaml_lists": "inputs:\n  x: " + "[" * 20000 + "]" * 20000 + "\noutput: x\n",
    "deep_yaml_mappings": "inputs:\n  x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\noutput: x\n",
    "deep_array": "inputs:\n  x: " + "[" * 100 + "1.0" + "]" * 100 + "\noutput: x\n",
    "deep_expression": "inputs:\n  x: 1.0\nnodes:\n  y: " + "exp(" * 500 + "x" + ")" * 500 + "\noutput: y\n",
    "long_expression": "inputs:\n  x: 1.0\nnodes:\n  y: " + " + ".join(["x"] * 8000) + "\noutput: y\n",
    "null_byte": "inputs:\n  x: 1.0\x00\noutput: x\n",
    "control_character_name": 'inputs:\n  "x\\x1b[2J": 1.0\noutput: "x\\x1b[2J"\n',
}


def _write_hostile_specs(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for name, text in HOSTILE_SPECS.items():
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    latin1 = folder / "not_utf8.yaml"
    latin1.write_bytes("inputs:\n  größe: 1.0\noutput: größe\n".encode("latin-1"))
    paths.append(latin1)
    huge = folder / "huge_file.yaml"
    with huge.open("w", encoding="utf-8") as handle:
        handle.write("inputs:\n  x: 1.0\noutput: x\n")
        for _ in range(60_000):
            handle.write("# " + "padding " * 12 + "\n")
    paths.append(huge)
    return paths


def _snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Map each path under `folder` to its mode, modification time and content hash."""
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        state[str(path.relative_to(folder))] = (info.st_mode, info.st_mtime_ns, digest)
    return state


def test_hostile_specs_rejected_without_side_effects(tmp_path):
    specs = _write_hostile_specs(tmp_path / "specs")
    work = tmp_path / "work"
    work.mkdir()
    output = work / "figure.svg"
    before = _snapshot(tmp_path)

    for spec in specs:
        result = run_cli("render", str(spec), "-o", str(output), cwd=work)

        stderr = result.stderr.decode("utf-8", "replace")
        assert result.returncode == 2, f"{spec.name}: exit code {result.returncode}: {stderr}"
        assert "Traceback" not in stderr, f"{spec.name}: {stderr}"
        assert str(spec) in stderr, f"{spec.name}: the message does not name the file: {stderr}"

    assert not output.exists()
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["python_object_apply", "alias_bomb", "deep_yaml_lists", "dunder_import"])
def test_hostile_spec_message(tmp_path, name):
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(HOSTILE_SPECS[name], encoding="utf-8")

    result = run_cli("run", str(spec), cwd=tmp_path)

    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert f"{spec}:" in stderr
    assert not (tmp_path / MARKER).exists()


def _shell_calls(path: Path) -> list[str]:
    """Return the calls in `path` that run a shell or a command string."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            is_false = isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            if keyword.arg == "shell" and not is_false:
                found.append(f"{path}:{node.lineno}: shell={ast.unparse(keyword.value)}")
        callee = ast.unparse(node.func)
        if callee in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "pty.spawn") or (
            callee.startswith(("os.exec", "os.spawn"))
        ):
            found.append(f"{path}:{node.lineno}: {callee}")
    return found


def test_package_never_starts_shell():
    sources = sorted(PACKAGE.rglob("*.py"))
    assert sources

    found = [call for path in sources for call in _shell_calls(path)]

    assert found == []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert "shell=True" not in text, path
        assert "os.system(" not in text, path


def test_shell_call_detector_finds_calls(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os, subprocess\nsubprocess.run('ls', shell=True)\nos.system('ls')\nos.execvp('ls', [])\n")

    assert len(_shell_calls(sample)) == 3


# Inputs that once escaped the loader as exceptions other than GraphvizBPError.
LOADER_REGRESSIONS = {
    "null_character": ("name: x\x00\ninputs:\n  x: 1.0\noutput: x\n", "invalid YAML"),
    "mapping_as_key": ("? ? ?", "mapping keys must be names or numbers"),
    "deep_lists": ("inputs:\n  x: " + "[" * 3000 + "1" + "]" * 3000 + "\noutput: x\n", "nested too deeply"),
    "deep_mappings": ("inputs:\n  x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\noutput: x\n", "nested too deeply"),
    "array_past_max_dimensions": ("inputs:\n  x: " + "[" * 40 + "1" + "]" * 40 + "\noutput: x\n", "32 dimensions"),
    "zero_size_huge_axis": ("inputs:\n  x: {shape: [99999999999999999999, 0]}\noutput: x\n", "along one axis"),
    "integer_past_digit_limit": ("inputs:\n  x: " + "9" * 5000 + "\noutput: x\n", "invalid scalar"),
    "integer_past_float_range": ("inputs:\n  x: " + "9" * 400 + "\noutput: x\n", "too large"),
    "expression_integer_past_float_range": (
        "inputs:\n  x: 1.0\nnodes:\n  y: x * " + "9" * 400 + "\noutput: y\n",
        "too large",
    ),
}


@pytest.mark.parametrize("name", sorted(LOADER_REGRESSIONS))
def test_loader_regression_raises_spec_error(name):
    text, message = LOADER_REGRESSIONS[name]

    with pytest.raises(GraphvizBPError, match=message) as caught:
        load_yaml("spec.yaml", text=text)

    assert str(caught.value).startswith("spec.yaml:")
