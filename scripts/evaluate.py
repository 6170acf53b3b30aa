"""Run a question set through every registered pipeline and measure the answers.

    python -m scripts.evaluate                                  # test split + unanswerable set
    python -m scripts.evaluate --questions my.jsonl --corpus other_docs/ --limit 20

A question set is JSONL with `question` and `answers` (empty list = not answerable from the
corpus), optionally `source` (document path relative to the corpus folder) for retrieval metrics.
--corpus evaluates against another folder of documents with an index of its own, leaving the
app's index alone. Writes answers.json, answers.csv and summary.json to --out.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import time
from dataclasses import replace
from pathlib import Path

from evaluation.outputs import write_outputs
from evaluation.report import summary_table
from evaluation.run import evaluate, summarize
from pipelines.config import Config
from pipelines.registry import PIPELINES, build_pipelines
from pipelines.resources import Resources
from scripts.build_index import tqdm_progress
from scripts.cli import setup
from training.qa import read_jsonl

log = logging.getLogger("evaluate")
DEFAULT_SETS = ["data/qa/test.jsonl", "data/qa/unanswerable.jsonl"]


def config_for_corpus(config: Config, corpus: str | None) -> Config:
    """The app's config, or one whose corpus and index live apart from the app's."""
    if not corpus:
        return config
    folder = str(Path(corpus).resolve())
    key = hashlib.sha256(folder.encode()).hexdigest()[:12]
    return replace(config, corpus_dir=folder, data_dir=str(config.data_path / "eval" / key))


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", action="append", help=f"JSONL file(s); default {DEFAULT_SETS}"
    )
    parser.add_argument("--corpus", help="evaluate against this folder of documents")
    parser.add_argument("--pipelines", default=",".join(PIPELINES), help="comma-separated names")
    parser.add_argument("--limit", type=int, default=0, help="first N questions per file (0 = all)")
    parser.add_argument("--out", default="", help="output folder (default: data folder/eval-runs)")
    args = parser.parse_args(argv)
    config = config_for_corpus(Config.from_env(), args.corpus)
    items = []
    for name in args.questions or DEFAULT_SETS:
        rows = read_jsonl(Path(name))
        items += rows[: args.limit] if args.limit else rows
    resources = Resources(config, progress=tqdm_progress())
    resources.warm_up()
    pipelines = build_pipelines(resources, args.pipelines.split(","))
    from tqdm.auto import tqdm

    bar = tqdm(total=len(items) * len(pipelines), desc="evaluating", unit="answer")
    started = time.perf_counter()
    records = evaluate(pipelines, items, progress=lambda done, total: bar.update(done - bar.n))
    bar.close()
    summary = summarize(records)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else config.data_path / "eval-runs" / stamp
    meta = {
        "questions": len(items),
        "corpus": config.corpus_dir,
        "model": config.model,
        "wall_s": round(time.perf_counter() - started, 1),
        "currency": config.currency,
        "price_input_per_m": config.price_input_per_m,
        "price_output_per_m": config.price_output_per_m,
    }
    paths = write_outputs(out, records, summary, meta)
    log.info("results:\n%s", summary_table(summary))
    log.info(
        "%d answers in %.0f s; wrote %s",
        len(records),
        meta["wall_s"],
        ", ".join(str(p) for p in paths.values()),
    )


if __name__ == "__main__":
    main()
