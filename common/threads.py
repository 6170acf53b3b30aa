"""Heavy one-off work (building an index, training) on every core without slowing generation.

The process runs one OpenMP thread per Python thread (see `pipelines/__init__.py`). A job that
wants every core runs in a short-lived thread that asks for them; when the thread ends, its
OpenMP team goes with it, so it cannot slow the generation thread afterwards.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def on_all_cores(job: Callable[[], T], threads: int = 0) -> T:
    """Run `job` in a thread of its own with `threads` OpenMP threads (0 = every core)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        import torch

        torch.set_num_threads(threads or os.cpu_count() or 1)
        try:
            result.append(job())
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="all-cores")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
