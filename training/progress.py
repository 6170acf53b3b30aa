"""A training run's progress in a small JSON file, so another process (the app) can show it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from common.config import Config
from common.files import read_json_object, replace_atomically


def training_dir(config: Config) -> Path:
    """APP_DATA_DIR/training: the progress file, the runs' log and the incremental data."""
    return config.data_path / "training"


def progress_path(config: Config) -> Path:
    """Where a training run the app starts writes its progress (the app reads it there)."""
    return training_dir(config) / "progress.json"


class ProgressFile:
    """The phase and step of one run; then its outcome: the new weights' folder or an error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = time.time()

    def update(self, phase: str, step: int, total: int) -> None:
        self._write({"phase": phase, "step": step, "total": total, "done": False})

    def finish(self, adapter: str | None = None, error: str | None = None) -> None:
        self._write({"phase": "done", "done": True, "adapter": adapter, "error": error})

    def _write(self, data: dict[str, Any]) -> None:
        data |= {
            "pid": os.getpid(),
            "started": self.started,
            "elapsed_s": time.time() - self.started,
        }
        replace_atomically(self.path, lambda partial: partial.write_text(json.dumps(data)))


def read_progress(path: Path) -> dict[str, Any]:
    """The last progress written, or {} if there is none (or it is being replaced)."""
    return read_json_object(path)
