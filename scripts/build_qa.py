"""Build the QA dataset from the fact seeds, verifying each against the corpus.

python -m scripts.build_qa [--facts data/facts] [--corpus corpus] [--out data/qa]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from common.logs import setup
from training.qa import build_dataset

log = logging.getLogger("build_qa")


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", default="data/facts")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--out", default="data/qa")
    parser.add_argument("--held-out", type=int, default=120, help="facts per held-out split")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    sizes = build_dataset(
        Path(args.facts), Path(args.corpus), Path(args.out), args.held_out, args.seed
    )
    log.info("wrote %s to %s", ", ".join(f"{n}={s}" for n, s in sizes.items()), args.out)


if __name__ == "__main__":
    main()
