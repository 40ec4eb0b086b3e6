"""Run every graphviz-bp benchmark and print the results as Markdown.

    python bench/run.py            # the full run recorded in docs/benchmarks.md (about 1 minute)
    python bench/run.py --quick    # a smoke run of every benchmark at small sizes (a few seconds)

Each figure is a ratio against a reference measured in the same run. Timed pairs run in
alternating rounds. The ratio takes the minimum over rounds of each side, and the median of
the per-round ratios is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# The benchmark modules import each other by their file names.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_bench import bench_chain, bench_memory, bench_mlp  # noqa: E402
from harness import Result, machine_description  # noqa: E402
from render_bench import bench_render  # noqa: E402
from scale_bench import bench_scale  # noqa: E402
from startup_bench import bench_startup  # noqa: E402

BENCHMARKS = {
    "mlp": bench_mlp,
    "chain": bench_chain,
    "startup": bench_startup,
    "render": bench_render,
    "memory": bench_memory,
    "scale": bench_scale,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Run small sizes and few rounds, for CI.")
    parser.add_argument(
        "--only", choices=sorted(BENCHMARKS), action="append", help="Run only this benchmark; may be repeated."
    )
    parser.add_argument("--json", type=Path, help="Also write the machine description and results to this file.")
    args = parser.parse_args(argv)

    machine = machine_description()
    command = " ".join(["python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"command: `{command}`\n")
    for key, value in machine.items():
        print(f"- {key}: {value}")
    print()

    results: list[Result] = []
    started = time.perf_counter()
    for name in args.only or BENCHMARKS:
        results += BENCHMARKS[name](args.quick)
    elapsed = time.perf_counter() - started

    print(format_table(results))
    print(f"\ntotal time: {elapsed:.1f} s")
    if args.json:
        document = {"command": command, "machine": machine, "results": [result.as_dict() for result in results]}
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def format_table(results: list[Result]) -> str:
    lines = [
        "| benchmark | candidate | reference | ratio (min) | ratio (median) | times (min) | goal | met |",
        "| --- | --- | --- | ---: | ---: | --- | --- | --- |",
    ]
    for result in results:
        median = f"{result.median_ratio:.2f}x" if result.median_ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[result.met]
        lines.append(
            f"| {result.name} | {result.candidate} | {result.reference} | {result.ratio:.2f}x | {median}"
            f" | {result.figure} | {result.goal or '—'} | {met} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
