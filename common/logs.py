"""Logging for the app and the scripts, and a terminal progress bar for long index builds."""

from __future__ import annotations

import logging
from collections.abc import Callable

Progress = Callable[[int, int], None]  # (done, total): chunks embedded, answers evaluated


def setup(level: int = logging.INFO) -> None:
    """One log format for every entry point."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def tqdm_progress(desc: str = "indexing corpus", unit: str = "chunk") -> Callable[[int, int], None]:
    """A progress callback `(done, total)` that draws a terminal progress bar (by default while
    chunks are embedded); the bar closes when done reaches total."""
    from tqdm.auto import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=desc, unit=unit)
        bar["bar"].update(done - bar["bar"].n)
        if done >= total:
            bar.pop("bar").close()

    return update
