"""Step frames: one figure per forward and backward step, for slides."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

from graphviz_bp.engine import Trace
from graphviz_bp.errors import SpecError
from graphviz_bp.figure.backends import Backend, RenderError
from graphviz_bp.figure.dot import RenderOptions, to_dot_source
from graphviz_bp.output import write_atomic

FRAME_PATTERN = re.compile(r"step-\d+-(forward|backward)\.(svg|png|pdf|dot)")


def frame_name(index: int, phase: str, count: int, fmt: str) -> str:
    """File name of frame `index` (0-based) of `count`: step-01-forward.svg, zero-padded."""
    width = max(2, len(str(count)))
    return f"step-{index + 1:0{width}d}-{phase}.{fmt}"


def write_step_frames(
    trace: Trace,
    folder: Path,
    fmt: str,
    options: RenderOptions,
    backend: Backend | None,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write one figure per step of `trace` into `folder` and return their paths.

    The folder is created if missing. A folder that contains files other than earlier frames
    is rejected unless `force` is set; even then only frame files (step-NN-phase.fmt) are
    replaced or removed, never anything else. Raises SpecError for a rejected folder and
    RenderError when `fmt` needs Graphviz and `backend` is None.
    """
    if folder.exists() and not folder.is_dir():
        raise SpecError(f"{folder} is a file, not a folder", hint="give a folder for the frames")
    if folder.is_dir():
        others = sorted(p.name for p in folder.iterdir() if not FRAME_PATTERN.fullmatch(p.name))
        if others and not force:
            shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
            raise SpecError(
                f"the steps folder {folder} already contains other files ({shown})",
                hint="choose an empty or new folder, or pass --force to write the frames beside them",
            )
    elif not folder.parent.is_dir():
        raise SpecError(f"the parent folder of {folder} does not exist", hint="create it first")
    if fmt != "dot" and backend is None:
        raise RenderError("no Graphviz is available to draw the frames")

    folder.mkdir(exist_ok=True)
    count = len(trace.steps)
    written = []
    for step in trace.steps:
        source = to_dot_source(trace, dataclasses.replace(options, step=step.index))
        data = source.encode("utf-8") if fmt == "dot" else backend.render(source, fmt)
        path = folder / frame_name(step.index, step.phase, count, fmt)
        written.append(write_atomic(path, data))
        if progress:
            progress(step.index + 1, count)

    # Frames of an earlier, longer run would otherwise be mistaken for part of this one.
    keep = {p.name for p in written}
    for stale in folder.iterdir():
        if FRAME_PATTERN.fullmatch(stale.name) and stale.name not in keep:
            stale.unlink()
    return written
