"""Build the general-knowledge set for the forgetting check: the candidate questions that the
base model (no adapter) answers correctly, so a drop after fine-tuning is forgetting.

    python -m scripts.build_general [--candidates FILE] [--out data/qa/general.jsonl]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.config import Config
from common.logs import setup
from training.general import CANDIDATES, GENERAL, build_general


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--candidates", default=CANDIDATES, help="questions and accepted answers (JSONL)"
    )
    parser.add_argument("--out", default=GENERAL, help="where the kept questions go (JSONL)")
    args = parser.parse_args(argv)
    build_general(Path(args.candidates), Path(args.out), Config.from_env())


if __name__ == "__main__":
    main()
