"""The step transcript: every step of both passes, in order, with the engine's numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli

from graphviz_bp.cli import main
from graphviz_bp.engine import run
from graphviz_bp.figure.labels import format_number
from graphviz_bp.spec import load

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def transcript(spec: Path, *options: str) -> str:
    result = CliRunner().invoke(main, ["step", str(spec), *options])
    assert result.exit_code == 0, result.output
    return result.output


def step_blocks(text: str) -> list[str]:
    """Split the transcript at its step headers `[k/n] ...`."""
    return re.split(r"\n(?=\[\d+/\d+\] )", text)[1:]


def test_sigmoid_expanded_gradient_of_x():
    text = transcript(SAMPLES / "sigmoid_expanded.yaml", "--precision", "7")
    blocks = step_blocks(text)

    assert len(blocks) == 8
    assert blocks[-1].startswith("[8/8] Backward step 4 of 4: ×(−1)")
    assert "∂L/∂x = ∂L/∂y·y²·exp(−x) = (−0.2350037) × (−1) = 0.2350037" in blocks[-1]
    assert "y = 1/(1+exp(−x)) = 1/1.606531 = 0.6224593" in blocks[3]


@pytest.mark.parametrize("sample", ["sigmoid_expanded", "two_layer_net", "apple_orange", "affine", "relu"])
def test_every_step_in_engine_order(sample):
    spec = SAMPLES / f"{sample}.yaml"
    trace = run(load(spec))
    blocks = step_blocks(transcript(spec))

    assert len(blocks) == len(trace.steps)
    for block, step in zip(blocks, trace.steps, strict=True):
        header = block.splitlines()[0]
        assert header.startswith(f"[{step.index + 1}/{len(trace.steps)}] {step.phase.capitalize()} step")


def test_apple_orange_numbers_match_engine():
    spec = SAMPLES / "apple_orange.yaml"
    trace = run(load(spec))
    text = transcript(spec)

    for name in ("apple_price", "orange_price", "all_price", "price"):
        assert f"{name} = " in text
        assert f"= {format_number(trace.values[name], 4)}\n" in text
    for name in ("apple", "apple_num", "orange", "orange_num", "tax"):
        assert f"∂L/∂{name} = {format_number(trace.grads[name], 4)}\n" in text.split("Gradients of the inputs:")[1]


def test_two_layer_net_arrays_match_engine():
    spec = SAMPLES / "two_layer_net.yaml"
    trace = run(load(spec))
    blocks = step_blocks(transcript(spec))

    assert f"L = SoftmaxWithLoss(h2, t) = {format_number(trace.values['L'], 4)}" in blocks[3]
    b1_grad = " ".join(format_number(x, 4) for x in trace.grads["b1"])
    flattened = re.sub(r"\s+", " ", blocks[7])
    assert "∂L/∂b1 = sum(∂L/∂h1, axis=0)" in blocks[7]
    assert b1_grad in flattened


def test_transcript_has_no_escape_codes_unless_color():
    spec = SAMPLES / "sigmoid_expanded.yaml"

    assert "\x1b[" not in transcript(spec)
    assert "\x1b[" in transcript(spec, "--color")


def test_bad_spec_exits_2_without_traceback(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\ninputs: {x: 1}\nnodes: {y: nosuchop(x)}\noutput: y\n")

    result = CliRunner().invoke(main, ["step", str(spec)])

    assert result.exit_code == 2
    assert "unknown op 'nosuchop'" in result.output
    assert "Traceback" not in result.output


def test_transcript_shows_matrix_inputs_as_rows():
    result = run_cli("step", str(SAMPLES / "affine.yaml"), "--transcript")
    out = result.stdout.decode()

    assert result.returncode == 0
    assert "input W, shape (2, 3):" in out
    assert "[1 3 5]" in out
    assert "= (2, 3)" not in out
