"""The rows of a run's training_log.csv (one per epoch, and the start) and its peak memory."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def log_row(
    epoch: int, step: int, train_loss: float, val_loss: float, lr: float = 0.0, started: float = 0
) -> dict[str, Any]:
    elapsed = time.perf_counter() - started if started else 0.0
    return {
        "epoch": epoch,
        "step": step,
        "train_loss": round(train_loss, 5),
        "val_loss": round(val_loss, 5),
        "lr": lr,
        "elapsed_s": round(elapsed, 1),
    }


def write_log(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
