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
# Lists the frames that graphviz-bp wrote into a steps folder, so that later runs replace
# or remove only those and never a file of the user's that happens to have a frame's name.
MANIFEST = ".graphviz-bp-frames"


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

    The folder is created if missing. graphviz-bp lists the frames it wrote in a manifest
    file in the folder; a folder that contains any other file, even one named like a frame,
    is rejected unless `force` is set. Only frames listed in the manifest are ever removed,
    and with `force` a file of the user's is replaced only when it has a frame's exact name.
    Raises SpecError for a rejected folder and RenderError when `fmt` needs Graphviz and
    `backend` is None.
    """
    if folder.exists() and not folder.is_dir():
        raise SpecError(f"{folder} is a file, not a folder", hint="give a folder for the frames")
    previous = _read_manifest(folder)
    if folder.is_dir():
        others = sorted(p.name for p in folder.iterdir() if p.name not in previous and p.name != MANIFEST)
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
    names = [frame_name(step.index, step.phase, count, fmt) for step in trace.steps]
    # The manifest is written first, so that a run killed midway can still clean up after itself.
    write_atomic(folder / MANIFEST, "\n".join(sorted(set(previous) | set(names))).encode("utf-8"))
    written = []
    for step, name in zip(trace.steps, names, strict=True):
        source = to_dot_source(trace, dataclasses.replace(options, step=step.index))
        data = source.encode("utf-8") if fmt == "dot" else backend.render(source, fmt)
        written.append(write_atomic(folder / name, data))
        if progress:
            progress(step.index + 1, count)

    # Frames of an earlier, longer run would otherwise be mistaken for part of this one.
    for stale in set(previous) - set(names):
        path = folder / stale
        if path.is_file() and not path.is_symlink():
            path.unlink()
    write_atomic(folder / MANIFEST, "\n".join(names).encode("utf-8"))
    return written


def _read_manifest(folder: Path) -> set[str]:
    """Names of the frames an earlier run wrote into `folder`, from its manifest."""
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {name for name in text.splitlines() if FRAME_PATTERN.fullmatch(name)}
