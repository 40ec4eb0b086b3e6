"""Timing, memory and machine-description helpers shared by the benchmarks.

Every timed figure is a ratio against a reference measured in the same run. Candidate and
reference are timed in alternating rounds, so that slow phases of a noisy machine hit both.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """Per-call times in seconds of a candidate and its reference, one entry per round."""

    name: str
    candidate: str
    reference: str
    candidate_times: tuple[float, ...]
    reference_times: tuple[float, ...]

    @property
    def candidate_min(self) -> float:
        return min(self.candidate_times)

    @property
    def reference_min(self) -> float:
        return min(self.reference_times)

    @property
    def ratio_of_minimums(self) -> float:
        """The headline figure: the best candidate round over the best reference round."""
        return self.candidate_min / self.reference_min

    @property
    def median_ratio(self) -> float:
        """The median over rounds of candidate / reference, each pair timed back to back."""
        return statistics.median(c / r for c, r in zip(self.candidate_times, self.reference_times, strict=True))


def compare_calls(
    name: str,
    candidate: tuple[str, Callable[[], object]],
    reference: tuple[str, Callable[[], object]],
    *,
    rounds: int,
    number: int,
) -> Comparison:
    """Time two in-process callables in alternating rounds of `number` calls each.

    Each is called once before timing so that imports and caches are warm. The order within
    a round alternates too, so neither side always runs right after the other.
    """
    candidate_name, candidate_call = candidate
    reference_name, reference_call = reference
    candidate_call()
    reference_call()

    candidate_times: list[float] = []
    reference_times: list[float] = []
    for round_index in range(rounds):
        pair = [(candidate_call, candidate_times), (reference_call, reference_times)]
        if round_index % 2:
            pair.reverse()
        for call, times in pair:
            times.append(_time_calls(call, number))
    return Comparison(name, candidate_name, reference_name, tuple(candidate_times), tuple(reference_times))


def compare_commands(
    name: str,
    candidate: tuple[str, Sequence[str]],
    reference: tuple[str, Sequence[str]],
    *,
    rounds: int,
    cwd: str | None = None,
) -> Comparison:
    """Time two commands, each in a fresh process, in alternating rounds (wall-clock time)."""
    candidate_name, candidate_command = candidate
    reference_name, reference_command = reference
    _run_command(candidate_command, cwd)
    _run_command(reference_command, cwd)

    candidate_times: list[float] = []
    reference_times: list[float] = []
    for round_index in range(rounds):
        pair = [(candidate_command, candidate_times), (reference_command, reference_times)]
        if round_index % 2:
            pair.reverse()
        for command, times in pair:
            times.append(_run_command(command, cwd))
    return Comparison(name, candidate_name, reference_name, tuple(candidate_times), tuple(reference_times))


def _time_calls(call: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number


def _run_command(command: Sequence[str], cwd: str | None) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"benchmark command {list(command)} failed with exit code {completed.returncode}: {message}")
    return elapsed


def peak_memory(call: Callable[[], object]) -> int:
    """Return the peak bytes that tracemalloc saw allocated during `call`, result included.

    NumPy reports its array buffers to tracemalloc, so the figure covers array data. The
    result is kept alive until the peak is read, so retained arrays count.
    """
    call()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


def machine_description() -> dict[str, str]:
    """Describe the machine and the versions that the figures depend on."""
    import numpy as np

    from graphviz_bp.figure import find_backend

    backend = find_backend()
    return {
        "cpu": _cpu_model(),
        "logical cores": str(os.cpu_count()),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_name(np),
        "graphviz": backend.description if backend else "none found",
        "load average at start (1, 5, 15 min)": _load_average(),
    }


def _load_average() -> str:
    try:
        return ", ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas_name(np_module: object) -> str:
    try:
        config = np_module.show_config(mode="dicts")  # type: ignore[attr-defined]
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError, AttributeError):
        return "unknown"


def format_seconds(seconds: float) -> str:
    """Format a duration in µs, ms or s, with one decimal below one second."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


@dataclass(frozen=True)
class Result:
    """One line of the results table.

    `ratio` is candidate / reference from the best round of each, and `median_ratio` the
    median of the per-round ratios. `met` is None for a figure without a goal.
    """

    name: str
    candidate: str
    reference: str
    ratio: float
    median_ratio: float | None
    figure: str
    goal: str
    met: bool | None

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)
