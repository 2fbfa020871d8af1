"""Atomic file writes: the data goes to a temporary file in the target's folder, which then
replaces the target in one rename. A failed write (disk full, Ctrl-C, a bug) leaves the old file
as it was and no half-written file behind."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", **open_args) -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; on success it becomes `path`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
