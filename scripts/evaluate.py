"""Run a question set through every registered pipeline and measure the answers.

    python -m scripts.evaluate                                  # test split + unanswerable set
    python -m scripts.evaluate --questions my.jsonl --corpus other_docs/ --limit 20
    python -m scripts.evaluate --grounding 0                    # without the evidence check

A question set is JSONL with `question` and `answers` (empty list = not answerable from the
corpus), optionally `source` (document path relative to the corpus folder) for retrieval metrics.
--corpus evaluates against another folder of documents with an index of its own, leaving the
app's index alone. Once every answer is in, each answer's values are looked up in the evaluated
documents (--grounding 1, the default; evaluation/grounded.py). Writes answers.json, answers.csv,
summary.json and report.html to --out; logs the summary, the per-type figures, the paired tests
between columns and how far the evidence check agrees with the gold answers.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from common.config import QA_DIR, Config
from common.logs import setup, tqdm_progress
from evaluation.grounded import agreement_line
from evaluation.outputs import run_and_write
from evaluation.report import summary_table, type_table
from evaluation.run import DEFAULT_SETS, load_questions
from evaluation.significance import Comparison, significance_table
from pipelines.registry import PIPELINES, build_pipelines, default_names
from pipelines.resources import Resources

log = logging.getLogger("evaluate")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, as documented at the top of this file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions",
        action="append",
        help="a JSONL question set; repeat for several (default: the test split and the "
        f"unanswerable set in {QA_DIR}/)",
    )
    parser.add_argument("--corpus", help="evaluate against this folder of documents")
    parser.add_argument(
        "--pipelines",
        default=",".join(default_names()),
        help=f"columns to ask, comma-separated, of {', '.join(PIPELINES)} (default: %(default)s)",
    )
    parser.add_argument("--limit", type=int, default=0, help="first N questions per file (0 = all)")
    parser.add_argument("--out", default="", help="output folder (default: data folder/eval-runs)")
    parser.add_argument(
        "--grounding",
        type=int,
        choices=(0, 1),
        default=1,
        help="1: look up every answer's values in the documents after the answers (default: "
        "%(default)s); 0: skip it",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_args(argv)
    config = Config.from_env()
    if args.corpus:
        config = config.for_corpus(args.corpus)
    items = load_questions([Path(n) for n in args.questions or DEFAULT_SETS], args.limit)
    resources = Resources(config, progress=tqdm_progress())
    resources.warm_up()
    pipelines = build_pipelines(resources, args.pipelines.split(","))
    out = Path(args.out) if args.out else None
    progress = tqdm_progress("evaluating", "answer")
    index = resources.index if args.grounding else None
    summary, paths = run_and_write(pipelines, items, config, out, progress=progress, index=index)
    # the paired tests and the check against gold need every answer: read back what
    # write_outputs computed from them
    saved = json.loads(paths["summary_json"].read_text(encoding="utf-8"))
    tests = significance_table([Comparison(**row) for row in saved["significance"]])
    log.info(
        "results:\n%s\n\n%s\n\n%s\n\n%s",
        summary_table(summary),
        type_table(summary),
        tests,
        agreement_line(saved["grounding_check"]),
    )
    log.info("wrote %s", ", ".join(str(p) for p in paths.values()))


if __name__ == "__main__":
    main()
