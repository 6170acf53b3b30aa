"""Measure the follow-up search of the RAG column on follow-up and new-subject pairs.

    python -m scripts.followups                      # data/dev/followups.jsonl, the app's index

Prints, per APP_RAG_FOLLOW_UP_BELOW threshold and kind of pair, the share of second questions
whose answer passage is among the top-k passages and first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.config import REPO_ROOT, Config
from common.logs import setup
from evaluation.followups import THRESHOLDS, load_pairs, measure
from pipelines.rag import RagPipeline
from pipelines.resources import Resources

PAIRS = REPO_ROOT / "data" / "dev" / "followups.jsonl"


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default=str(PAIRS), help="JSONL pairs (default: %(default)s)")
    args = parser.parse_args(argv)
    config = Config.from_env()
    rows = measure(RagPipeline(Resources(config)), load_pairs(Path(args.pairs)), THRESHOLDS)
    print(
        f"top-k {config.top_k}, retrieval {config.retrieval}, default threshold "
        f"{config.rag_follow_up_below}"
    )
    print("| threshold | kind | pairs | found in top-k | first |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['threshold']} | {r['kind']} | {r['pairs']} "
            f"| {r['found']:.3f} | {r['first']:.3f} |"
        )


if __name__ == "__main__":
    main()
