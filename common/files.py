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


def inside(root: Path, path: str) -> Path | None:
    """`root/path` if it stays inside `root` (no '..', no absolute path, no link out), else None.
    Every path the app builds from a name it did not choose goes through here."""
    if not path or "\\" in path or "\0" in path:
        return None
    base = root.resolve()
    candidate = (base / path).resolve()
    return candidate if candidate.is_relative_to(base) and candidate != base else None


def within(root: Path, path: str) -> Path:
    """`inside(root, path)`, or ValueError: for paths that should never leave `root`."""
    found = inside(root, path)
    if found is None:
        raise ValueError(f"refused to write outside {root.name}/: {path!r}")
    return found


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in `path`, or {} if the file is missing, unreadable or not an object
    (a record being replaced, never written, or damaged)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def safetensors_files(folder: Path) -> list[Path]:
    """The .safetensors files of a saved model or adapter (a large model is saved in shards)."""
    return sorted(folder.glob("*.safetensors"))


def read_safetensors(folder: Path, framework: str = "pt") -> dict[str, Any]:
    """Every tensor saved in `folder`, as torch tensors ("pt") or numpy arrays ("numpy")."""
    from safetensors import safe_open

    state: dict[str, Any] = {}
    for shard in safetensors_files(folder):
        with safe_open(str(shard), framework=framework) as weights:
            state.update({name: weights.get_tensor(name) for name in weights.keys()})  # noqa: SIM118
    return state


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def time_stamp() -> str:
    """The local time now as run folders and result files are named: 20250131-093000."""
    import time

    return time.strftime("%Y%m%d-%H%M%S")
