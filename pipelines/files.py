"""Files and folders the app writes once and reuses: never half-written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any


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


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in `path`, or {} if the file is missing, unreadable or not an object
    (a record being replaced, never written, or damaged)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
