"""Run the benchmarks' quick mode, so that bench/ keeps working as the package changes.

Timings are never checked here: only that every benchmark runs and reports a ratio.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK_PREFIXES = (
    "784-50-10, batch 100",
    "scalar chain of",
    "start-up: `graphviz-bp --help`",
    "10-node spec to SVG",
    "render ",
    "784-50-10 peak memory",
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    results_file = tmp_path_factory.mktemp("bench") / "results.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json", str(results_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    document = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    return completed, document


def test_quick_mode_exits_zero(quick_run):
    completed, _ = quick_run
    assert completed.returncode == 0, completed.stderr


def test_quick_mode_prints_table(quick_run):
    completed, _ = quick_run
    assert "| benchmark | candidate | reference | ratio (min) |" in completed.stdout
    assert "- graphviz:" in completed.stdout


def test_quick_mode_covers_every_benchmark(quick_run):
    _, document = quick_run
    names = [result["name"] for result in document.get("results", [])]
    for prefix in BENCHMARK_PREFIXES:
        assert any(name.startswith(prefix) for name in names), f"no result starts with {prefix!r}: {names}"


def test_quick_mode_ratios_are_positive(quick_run):
    _, document = quick_run
    for result in document["results"]:
        assert result["ratio"] > 0, result
        assert result["median_ratio"] is None or result["median_ratio"] > 0, result


def test_quick_mode_records_machine(quick_run):
    _, document = quick_run
    for key in ("cpu", "logical cores", "python", "numpy", "graphviz"):
        assert document["machine"].get(key), f"machine description lacks {key!r}"
    assert document["command"].startswith("python bench/run.py --quick")
