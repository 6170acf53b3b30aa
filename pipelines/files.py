"""Files and folders the app writes once and reuses: never half-written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path


def replace_atomically(out: Path, write: Callable[[Path], object]) -> Path:
    """Write `out` (a file or a folder) through `write(partial)` beside it, then move it into
    place, so that an interrupted write never leaves a half-written `out` to be used."""
    partial = out.with_name(out.name + ".partial")
    _remove(partial)  # left over from an interrupted write
    out.parent.mkdir(parents=True, exist_ok=True)
    write(partial)
    _remove(out)
    partial.rename(out)
    return out


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
