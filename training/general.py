"""The general-knowledge set for the forgetting check: candidate questions that the base model
(no adapter) answers correctly, so that a drop after training is forgetting."""

from __future__ import annotations

import logging
from pathlib import Path

from common.config import QA_DIR, Config
from common.threads import on_all_cores
from evaluation.batched import greedy_answers
from evaluation.metrics import contains
from serving.local_engine import torch_engine
from serving.model import load_model
from training.qa import read_jsonl, split_file, write_jsonl

log = logging.getLogger("build_general")
CANDIDATES = "data/general/candidates.jsonl"  # questions with their accepted answers
GENERAL = str(split_file(QA_DIR, "general"))  # where the set goes; training scores on it


def build_general(candidates_file: Path, out: Path, config: Config) -> int:
    """Keep the candidates the base model answers correctly, write them to `out`; returns how
    many were kept."""
    candidates = read_jsonl(candidates_file)
    model, tokenizer = load_model(config)
    engine = torch_engine(model, tokenizer)  # the base model is measured without adapter
    questions = [c["question"] for c in candidates]
    answers = on_all_cores(lambda: greedy_answers(engine, questions, adapter=None))
    kept = []
    for candidate, answer in zip(candidates, answers, strict=True):
        if contains(answer, candidate["answers"]):
            kept.append(candidate)
        else:
            log.info("dropped (base model wrong): %s -> %r", candidate["question"], answer)
    write_jsonl(out, kept)
    log.info("kept %d of %d questions the base model answers correctly", len(kept), len(candidates))
    return len(kept)
