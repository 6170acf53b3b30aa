"""Measure the performance goals side by side and print each as a ratio and as absolute numbers.

    python -m scripts.benchmark                 # everything, about 10 minutes on 2 cores
    python -m scripts.benchmark --skip-app 1    # without starting the app in a subprocess

Goals: three columns together in <= 1.3x the wall time of one answer of the same length; decode
speed per stream >= 0.7x llama.cpp's on the same weights; first token of all three columns
<= 1 s; retrieval p50 <= 20 ms at 10,000 chunks; start <= 15 s with a warm cache; peak memory
< 2 GB. Writes everything as JSON to --out (default: data folder/benchmarks/<time>.json).
The measurements are in benchmarks/ (performance.py runs them).
"""

from __future__ import annotations

import logging

from benchmarks.performance import BenchArgs, run_benchmark
from benchmarks.report import table
from common.logs import setup
from scripts.cli import parse_dataclass

log = logging.getLogger("benchmark")


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_dataclass(BenchArgs, __doc__.split("\n\n")[0], argv)
    results, out = run_benchmark(args)
    print(table(results))  # noqa: T201 - the table is this command's output
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
