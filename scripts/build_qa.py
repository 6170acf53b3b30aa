"""Build the QA dataset from the fact seeds, verifying each against the corpus.

python -m scripts.build_qa [--facts data/facts] [--corpus corpus] [--out data/qa]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from common.config import QA_DIR
from common.logs import setup
from training.qa import FACTS_DIR, HELD_OUT, SEED, build_dataset

log = logging.getLogger("build_qa")


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--facts", default=FACTS_DIR, help="folder of the fact seeds (JSONL)")
    parser.add_argument("--corpus", default="corpus", help="the documents the facts cite")
    parser.add_argument("--out", default=QA_DIR, help="folder the splits are written to")
    parser.add_argument("--held-out", type=int, default=HELD_OUT, help="facts per held-out split")
    parser.add_argument(
        "--seed", type=int, default=SEED, help="random seed of which facts are held out"
    )
    args = parser.parse_args(argv)
    sizes = build_dataset(
        Path(args.facts), Path(args.corpus), Path(args.out), args.held_out, args.seed
    )
    log.info("wrote %s to %s", ", ".join(f"{n}={s}" for n, s in sizes.items()), args.out)


if __name__ == "__main__":
    main()
