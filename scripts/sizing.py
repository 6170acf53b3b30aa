"""How the RAG index grows with the corpus: size on disk, build time, retrieval latency, memory.

    python -m scripts.sizing                                # 1,000 to 100,000 chunks, ~4 min
    python -m scripts.sizing --chunks 1000,10000 --out sizing.json

Each size is measured in a fresh process, as an app holding that index runs: it opens the app's
own index (building it first if needed), then builds a Chroma index of N chunks from the real
chunks' vectors with noise added (benchmarks.retrieval.retrieval_at_scale), so that 100,000 chunks
need no 100,000 embeddings. Measured per size: the time to add the vectors, the index's size on
disk, the retrieval latency p50/p95 over the test questions (query embedding included, as the RAG
column searches; and the vector search alone) and the process's resident memory before and
after. The embedding time of N chunks is extrapolated from the embedder's measured speed on the
real chunks. Prints a Markdown table; writes JSON to --out (default: data
folder/benchmarks/sizing-<time>.json). The measurements are in benchmarks/sizing.py.
"""

from __future__ import annotations

import argparse
import logging

from benchmarks.sizing import index_sizes, table
from common.logs import setup

log = logging.getLogger("sizing")


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--chunks",
        default="1000,10000,100000",
        help="index sizes to measure, in chunks, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=120,
        help="test questions timed at each size (default: %(default)s)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=256,
        help="real chunks the embedder's speed is timed on (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        default="",
        help="JSON file for the results (default: data folder/benchmarks/sizing-<time>.json)",
    )
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.chunks.split(",")]
    results, out = index_sizes(sizes, args.queries, args.sample, args.out)
    print(table(results))  # noqa: T201 - the table is this command's output
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
