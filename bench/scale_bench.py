"""Scale benchmarks: a 5,999-value graph to SVG, and symbolic labels on a 50-layer network."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from harness import Result, compare_commands, format_seconds

from graphviz_bp.limits import DEFAULT_MAX_LABEL_LENGTH
from graphviz_bp.spec import load

ROOT = Path(__file__).resolve().parent.parent
LARGE_SAMPLE = ROOT / "samples" / "large" / "wide_5000.py"
BARE_PYTHON = ("python -c pass", [sys.executable, "-c", "pass"])
# symbolic.py replaces longer gradient labels with ∂L/∂(value); no edge label may exceed this.
EDGE_LABEL_LIMIT = 2 * DEFAULT_MAX_LABEL_LENGTH


def deep_spec(layers: int) -> str:
    """Affine and ReLU `layers` times on a batch of 4, then Softmax-with-Loss."""
    lines = ["inputs:", "  X: {shape: [4, 8], init: randn, seed: 1}"]
    for i in range(layers):
        lines += [f"  W{i}: {{shape: [8, 8], init: randn, seed: {i + 2}, scale: 0.3}}", f"  b{i}: {{shape: [8]}}"]
    lines += ["  t: {shape: [4, 8], init: uniform, grad: false}", "nodes:"]
    previous = "X"
    for i in range(layers):
        lines += [f"  h{i}: affine({previous}, W{i}, b{i})", f"  a{i}: relu(h{i})"]
        previous = f"a{i}"
    lines += [f"  L: softmax_with_loss({previous}, t)", "output: L", ""]
    return "\n".join(lines)


def bench_scale(quick: bool) -> list[Result]:
    results = []

    layers = 10 if quick else 50
    with tempfile.TemporaryDirectory(prefix="graphviz-bp-bench-") as folder:
        spec = Path(folder) / "deep.yaml"
        spec.write_text(deep_spec(layers), encoding="utf-8")
        graph = load(spec)
        # Imported before the clock starts, so the sympy import is not counted. The first
        # call is timed: later calls on the same graph hit sympy's own caches.
        from graphviz_bp.symbolic import annotate

        start = time.perf_counter()
        notes = annotate(graph)
        elapsed = time.perf_counter() - start
    longest = max(len(text) for text in [*notes.edges.values(), *notes.forward.values()])
    results.append(
        Result(
            name=f"symbolic labels of a {layers}-layer Affine/ReLU network ({len(graph)} values), sympy loaded",
            candidate="symbolic.annotate",
            reference="—",
            ratio=elapsed / 0.5,
            median_ratio=None,
            figure=f"{format_seconds(elapsed)}; longest label {longest} characters (limit {EDGE_LABEL_LIMIT})",
            goal="< 0.5 s, no label over the limit",
            met=elapsed < 0.5 and longest <= EDGE_LABEL_LIMIT,
        )
    )

    if quick:
        return results
    with tempfile.TemporaryDirectory(prefix="graphviz-bp-bench-") as folder:
        figure = Path(folder) / "wide.svg"
        command = ["env", f"XDG_CACHE_HOME={folder}", sys.executable, "-m", "graphviz_bp", "render",
                   str(LARGE_SAMPLE), "-o", str(figure)]
        run = compare_commands(
            "samples/large/wide_5000.py (5,999 values) to SVG, default options",
            ("python -m graphviz_bp render", command),
            BARE_PYTHON,
            rounds=3,
        )
    results.append(
        Result(
            name=run.name,
            candidate=run.candidate,
            reference=run.reference,
            ratio=run.ratio_of_minimums,
            median_ratio=run.median_ratio,
            figure=format_seconds(run.candidate_min),
            goal="≤ 3 s",
            met=run.candidate_min <= 3.0,
        )
    )
    return results
