"""Build the general-knowledge set for the forgetting check: the candidate questions that the
base model (no adapter) answers correctly, so a drop after fine-tuning is forgetting.

    python -m scripts.build_general [--candidates FILE] [--out data/qa/general.jsonl]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from common.config import Config
from common.logs import setup
from common.threads import on_all_cores
from evaluation.batched import greedy_answers
from evaluation.metrics import contains
from serving.local_engine import torch_engine
from serving.model import load_model
from training.qa import read_jsonl, write_jsonl

log = logging.getLogger("build_general")


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", default="data/general/candidates.jsonl")
    parser.add_argument("--out", default="data/qa/general.jsonl")
    args = parser.parse_args(argv)
    candidates = read_jsonl(Path(args.candidates))
    model, tokenizer = load_model(Config.from_env())
    engine = torch_engine(model, tokenizer, "the base model is measured without adapter")
    questions = [c["question"] for c in candidates]
    answers = on_all_cores(lambda: greedy_answers(engine, questions, use_adapter=False))
    kept = []
    for candidate, answer in zip(candidates, answers, strict=True):
        if contains(answer, candidate["answers"]):
            kept.append(candidate)
        else:
            log.info("dropped (base model wrong): %s -> %r", candidate["question"], answer)
    write_jsonl(Path(args.out), kept)
    log.info("kept %d of %d questions the base model answers correctly", len(kept), len(candidates))


if __name__ == "__main__":
    main()
