"""Atomic file output: a figure is complete on disk, or the previous file is left intact."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    A process killed midway leaves at most a stray temporary file, never a truncated
    `path`. A symbolic link is followed, so the file it points to is replaced and the link
    kept. A path that exists and is not a regular file (/dev/null, a named pipe) is written
    directly, because a rename would replace the device or pipe with a file. Raises OSError
    (FileNotFoundError for a missing folder, PermissionError).
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(folder))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # A replaced file keeps its permissions; a new one gets the usual 0644 under the umask.
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o644 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
