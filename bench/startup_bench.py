"""Start-up benchmarks: each command runs in a fresh process, timed by wall clock."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from graphs import TEN_NODE_SPEC
from harness import Result, compare_commands, format_seconds

# `python -m graphviz_bp` runs the same `main` as the `graphviz-bp` console script, and works
# from any environment where the package is installed.
TOOL = [sys.executable, "-m", "graphviz_bp"]
BARE_PYTHON = ("python -c pass", [sys.executable, "-c", "pass"])


def bench_startup(quick: bool) -> list[Result]:
    rounds = 2 if quick else 15
    results = []

    help_run = compare_commands(
        "start-up: `graphviz-bp --help`",
        ("python -m graphviz_bp --help", [*TOOL, "--help"]),
        BARE_PYTHON,
        rounds=rounds,
    )
    extra = help_run.candidate_min - help_run.reference_min
    results.append(
        Result(
            name=help_run.name,
            candidate=help_run.candidate,
            reference=help_run.reference,
            ratio=help_run.ratio_of_minimums,
            median_ratio=help_run.median_ratio,
            figure=f"{format_seconds(help_run.candidate_min)} vs {format_seconds(help_run.reference_min)}"
            f" ({format_seconds(extra)} above bare Python)",
            goal="≤ 100 ms above bare Python",
            met=extra <= 0.1,
        )
    )

    with tempfile.TemporaryDirectory(prefix="graphviz-bp-bench-") as folder:
        spec = Path(folder) / "ten.yaml"
        spec.write_text(TEN_NODE_SPEC, encoding="utf-8")
        figure = Path(folder) / "ten.svg"
        # The label cache lives in the temporary folder: the first round fills it and the
        # fastest round is a hit. The "cache off" case is a first render of a new spec.
        cases = [
            ("both", "1", " (the default), label cache warm"),
            ("both", "0", ", label cache off"),
            ("numeric", "1", ""),
        ]
        for labels, cache_setting, note in cases:
            environment = ["env", f"XDG_CACHE_HOME={folder}", f"GRAPHVIZ_BP_CACHE={cache_setting}"]
            command = [*environment, *TOOL, "render", str(spec), "-o", str(figure), "--labels", labels]
            run = compare_commands(
                f"10-node spec to SVG, --labels {labels}{note}",
                (f"python -m graphviz_bp render --labels {labels}", command),
                BARE_PYTHON,
                rounds=rounds if labels == "both" else max(2, rounds // 2),
            )
            results.append(
                Result(
                    name=run.name,
                    candidate=run.candidate,
                    reference=run.reference,
                    ratio=run.ratio_of_minimums,
                    median_ratio=run.median_ratio,
                    figure=f"{format_seconds(run.candidate_min)} vs {format_seconds(run.reference_min)}",
                    goal="< 0.2 s",
                    met=run.candidate_min < 0.2,
                )
            )
    return results
