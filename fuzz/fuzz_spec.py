"""Coverage-guided fuzzing of the YAML spec loader and the expression parser with atheris.

    python fuzz/fuzz_spec.py --minutes 10

The corpus starts from samples/*.yaml plus a few expressions. The contract under test: for
any input, graphviz_bp.spec.load_yaml and graphviz_bp.spec.expressions.parse_expression
either return or raise a GraphvizBPError subclass. Any other exception is a crash. libFuzzer
then stops and writes the input to fuzz/crashes/, and this script exits non-zero.

A loaded graph also runs one forward and backward pass, with inputs limited to
MAX_ELEMENTS elements so that each execution stays fast.

atheris is not a dependency of graphviz-bp: `pip install -e '.[fuzz]'` installs it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CRASHES = Path(__file__).resolve().parent / "crashes"
MAX_ELEMENTS = 1000
# The first byte of an input selects the target: even bytes the YAML loader, odd the parser.
EXPRESSION_SEEDS = (
    "1 / (1 + exp(-x))",
    "sum(W @ x.T + b, axis=0) ** 2",
    "softmax_with_loss(affine(x, W, b), t)",
    "mse(tanh(x) * sigmoid(W), relu(-b))",
)
KNOWN_NAMES = ("x", "W", "b", "t")


def _import_targets():
    import atheris

    with atheris.instrument_imports(include=["graphviz_bp", "yaml"]):
        from graphviz_bp.engine import run
        from graphviz_bp.errors import GraphvizBPError
        from graphviz_bp.spec.expressions import parse_expression
        from graphviz_bp.spec.yaml_spec import load_yaml
    return atheris, run, GraphvizBPError, parse_expression, load_yaml


def make_target():
    """Return the function that libFuzzer calls with each input."""
    atheris, run, GraphvizBPError, parse_expression, load_yaml = _import_targets()

    def target(data: bytes) -> None:
        if not data:
            return
        try:
            # Bit 1 of the first byte lets lone surrogates through, which valid UTF-8 never has.
            text = data[1:].decode("utf-8", "surrogatepass" if data[0] & 2 else "replace")
        except UnicodeDecodeError:
            return
        try:
            if data[0] % 2 == 0:
                graph = load_yaml("fuzz.yaml", text=text, max_elements=MAX_ELEMENTS)
                run(graph)
            else:
                parse_expression(text, "y", KNOWN_NAMES, lambda line, column: None)
        except GraphvizBPError:
            pass

    return atheris, target


def seed_corpus(folder: Path) -> None:
    """Write the sample specs and expressions into `folder`, each with its target byte."""
    for sample in sorted(SAMPLES.glob("*.yaml")):
        (folder / sample.name).write_bytes(b"\x00" + sample.read_bytes())
    for index, expression in enumerate(EXPRESSION_SEEDS):
        (folder / f"expression{index}.txt").write_bytes(b"\x01" + expression.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="How long to fuzz, in minutes.")
    parser.add_argument("--corpus", type=Path, help="Corpus folder to keep between runs. Default: a temporary folder.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments, libfuzzer_flags = parser.parse_known_args(argv)
    if arguments.worker:
        return run_worker(arguments.minutes, arguments.corpus, libfuzzer_flags)
    return supervise(arguments.minutes, arguments.corpus, libfuzzer_flags)


def supervise(minutes: float, corpus: Path | None, libfuzzer_flags: list[str]) -> int:
    """Run libFuzzer workers until `minutes` have passed, restarting after each crash.

    libFuzzer stops at the first crash, and its own -fork mode cannot start a Python
    target, so every worker is a fresh process that shares the corpus folder.
    Prints the number of executions and every crash file, and returns 1 when a crash was found.
    """
    corpus = corpus or Path(tempfile.mkdtemp(prefix="graphviz-bp-corpus-"))
    corpus.mkdir(parents=True, exist_ok=True)
    seed_corpus(corpus)
    CRASHES.mkdir(exist_ok=True)
    before = set(CRASHES.iterdir())
    deadline = time.monotonic() + minutes * 60
    executions = 0
    workers = 0
    while (remaining := deadline - time.monotonic()) >= 1:
        workers += 1
        command = [sys.executable, __file__, "--worker", f"--minutes={remaining / 60}", f"--corpus={corpus}",
                   *libfuzzer_flags]
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        log = completed.stderr
        executions += sum(int(found) for found in re.findall(r"stat::number_of_executed_units: (\d+)", log))
        if completed.returncode != 0:
            print("\n".join(line for line in log.splitlines() if not line.startswith(("INFO:", "#"))), file=sys.stderr)
    crashes = sorted(set(CRASHES.iterdir()) - before)
    print(f"fuzzed for {minutes:g} minutes: {executions} executions in {workers} worker(s),"
          f" corpus {len(list(corpus.iterdir()))} inputs in {corpus}, {len(crashes)} crash(es)")
    for crash in crashes:
        print(f"crash: {crash}")
    return 1 if crashes else 0


def run_worker(minutes: float, corpus: Path, libfuzzer_flags: list[str]) -> int:
    try:
        atheris, target = make_target()
    except ImportError:
        print("atheris is not installed: pip install atheris (or pip install -e '.[fuzz]')", file=sys.stderr)
        return 2
    flags = [
        sys.argv[0],
        f"-max_total_time={max(1, round(minutes * 60))}",
        f"-artifact_prefix={CRASHES}/",
        "-max_len=4096",
        "-print_final_stats=1",
        *libfuzzer_flags,
        str(corpus),
    ]
    atheris.Setup(flags, target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
