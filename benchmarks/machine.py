"""The machine a measurement runs on: what it is, a fresh process to measure in, and a
process's memory."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from common.config import Config

T = TypeVar("T")


def machine(config: Config) -> dict[str, Any]:
    """The CPU, its cores, the memory, torch's version and the model file: a result's context."""
    import torch

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "torch": torch.__version__,
        "model": Path(config.model).name,
    }


def in_fresh_process(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a new Python process, as the app runs: no other runtime's idle
    threads or memory from earlier measurements in it."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def memory_mb(pid: int, key: str) -> float:
    """A memory figure of /proc/PID/status (VmRSS: now, VmHWM: peak) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")
