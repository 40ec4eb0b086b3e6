"""Profile the cases that miss their goals, with the standard library's cProfile and -X importtime.

    python bench/profile_misses.py mlp        # engine.run on the 784-50-10 classifier
    python bench/profile_misses.py chain      # engine.run on the 1,000-node scalar chain
    python bench/profile_misses.py startup    # the slowest imports of `graphviz-bp --help`
    python bench/profile_misses.py render     # `graphviz-bp render` of the 10-node spec, in-process
    python bench/profile_misses.py render --labels numeric
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from graphs import TEN_NODE_SPEC, mlp_arrays, mlp_graph, scalar_chain  # noqa: E402

from graphviz_bp import engine  # noqa: E402


def profile_calls(call, repeat: int, limit: int) -> None:
    call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(limit)


def slowest_imports(command: list[str], limit: int) -> None:
    """Print the imports with the largest cumulative time, as -X importtime reports them."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", *command], capture_output=True, text=True, check=True
    )
    rows = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((int(cumulative), name))
    for cumulative, name in sorted(rows, reverse=True)[:limit]:
        print(f"{cumulative / 1000:8.1f} ms  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=("mlp", "chain", "startup", "render"))
    parser.add_argument("--limit", type=int, default=20, help="Number of rows to print.")
    parser.add_argument("--labels", default="both", help="Label mode of the render case.")
    args = parser.parse_args()

    if args.case == "mlp":
        graph = mlp_graph(mlp_arrays(), x_grad=False)
        profile_calls(lambda: engine.run(graph), repeat=300, limit=args.limit)
    elif args.case == "chain":
        graph = scalar_chain(1000)
        profile_calls(lambda: engine.run(graph), repeat=20, limit=args.limit)
    elif args.case == "startup":
        slowest_imports(["-m", "graphviz_bp", "--help"], args.limit)
    else:
        from graphviz_bp.cli import main as cli_main

        with tempfile.TemporaryDirectory(prefix="graphviz-bp-profile-") as folder:
            spec = Path(folder) / "ten.yaml"
            spec.write_text(TEN_NODE_SPEC, encoding="utf-8")
            arguments = ["render", str(spec), "-o", str(Path(folder) / "ten.svg"), "--labels", args.labels]
            profiler = cProfile.Profile()
            profiler.enable()
            cli_main(arguments, standalone_mode=False)
            profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
