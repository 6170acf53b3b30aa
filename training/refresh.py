"""The incremental update (`python -m scripts.refresh`): catch the weights the app serves up with
the current documents.

Fact seeds whose evidence changed are re-anchored in the new text (training/refresh_data.py); the
served weights continue training on those facts plus a replay sample of unchanged ones. The
result goes to APP_DATA_DIR/adapters/refresh-<time>/ (or retrained/refresh-<time>/) with its card,
and becomes what the app serves.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from common.config import QA_DIR, Config
from common.files import time_stamp
from common.threads import on_all_cores
from documents.store import Documents
from serving.weights import (
    REFRESHABLE,
    REFRESHED,
    active_config,
    configured_folder,
    prune_superseded,
    reset_active,
    write_active,
)
from training.methods import LEARNING_RATES
from training.progress import ProgressFile, progress_path, training_dir
from training.qa import FACTS_DIR, SEED, load_facts, read_jsonl, split_file, write_jsonl
from training.refresh_data import REPEAT, REPLAY, Refresh, incremental_splits, refresh_facts
from training.runs import RUN_FILE

log = logging.getLogger(__name__)
FIELDS = {"lora": "adapter", "full": "retrained"}  # the config field each method refreshes


@dataclass
class RefreshArgs:
    """What an incremental update trains, on what, and for how long (each is a --flag)."""

    method: str = "lora"  # lora = the LoRA adapter; full = the Retrained column's weights
    epochs: int = 3  # passes over the update's data; the best epoch is kept
    # peak AdamW learning rate; 0 = half the method's default (LEARNING_RATES in
    # training/methods.py)
    learning_rate: float = 0.0
    replay: int = REPLAY  # unchanged training questions mixed in against forgetting
    repeat: int = REPEAT  # times each changed fact's phrasings appear per epoch
    retained: int = 40  # old test questions scored before and after (forgetting)
    seed: int = SEED  # random seed of the replay sample, shuffling and dropout
    max_steps: int = 0  # stop after N optimiser steps (0 = no limit): for smoke tests
    facts_dir: str = FACTS_DIR  # the fact seeds, re-anchored in the edited documents
    # the training split the weights learnt from; the replay sample is drawn from it
    old_train: str = str(split_file(QA_DIR, "train"))
    old_test: str = str(split_file(QA_DIR, "test"))  # the split the --retained questions come from
    reset: int = 0  # 1 = forget refreshed weights of --method: serve the configured ones again
    progress: str = ""  # the JSON progress file; empty = APP_DATA_DIR/training/progress.json

    def __post_init__(self) -> None:
        if self.method not in FIELDS:
            raise ValueError(f"--method {self.method!r}: choose one of {', '.join(FIELDS)}")


class NothingToLearn(RuntimeError):
    """No fact changed in a way training can follow; the message says what was found."""


def run_command(args: RefreshArgs, config: Config) -> int:
    """What `python -m scripts.refresh` does: a reset (--reset 1) or an update on every core,
    its outcome written to the progress file. Returns the exit status: 1 if nothing changed
    that training can follow."""
    field = FIELDS[args.method]
    if args.reset:
        reset_active(config, field)
        log.info("the app serves %s again (from its next start)", configured_folder(config, field))
        return 0
    progress = ProgressFile(Path(args.progress) if args.progress else progress_path(config))
    try:
        out = on_all_cores(lambda: run(args, config, progress))
    except NothingToLearn as exc:
        progress.finish(error=str(exc))
        log.error("%s", exc)
        return 1
    except Exception as exc:
        progress.finish(error=f"training failed: {exc}")
        raise
    progress.finish(adapter=str(out))
    log.info("refreshed adapter: %s", out)
    return 0


def run(args: RefreshArgs, configured: Config, progress: ProgressFile) -> Path:
    """Train the served weights on what changed; returns the new folder, which is then served
    in place of the configured APP_ADAPTER (or APP_RETRAINED)."""
    config = active_config(configured)  # the weights served now: a refresh builds on them
    current = _current(args, config)
    progress.update("checking the fact seeds against the documents", 0, 0)
    refresh = _changed_facts(args, config)
    stamp = time_stamp()
    work = training_dir(config) / stamp
    for split, rows in incremental_splits(
        refresh, read_jsonl(Path(args.old_train)), args.replay, args.repeat, args.seed
    ).items():
        write_jsonl(split_file(work, split), rows)
    out = _train(args, config, current, work, stamp, progress)
    _record(current, out, refresh, args.replay)
    write_active(config, out, configured, FIELDS[args.method])
    prune_superseded(config, FIELDS[args.method], out)
    return out


def _current(args: RefreshArgs, config: Config) -> str:
    """The folder of the weights served now, which the update starts from."""
    from serving.retrained_weights import missing_weights

    if args.method == "lora":
        return config.adapter
    if error := missing_weights(config.retrained_path):
        raise NothingToLearn(f"Nothing to update: {error}")
    return str(config.retrained_path)


def _changed_facts(args: RefreshArgs, config: Config) -> Refresh:
    """The fact seeds sorted against the documents served now; NothingToLearn if none changed
    in a way training can follow."""
    files = Documents(config).files()
    refresh = refresh_facts(load_facts(Path(args.facts_dir)), {f.path: f.text for f in files})
    for fact, reason in refresh.dropped:
        log.warning("fact %s left out: %s", fact["id"], reason)
    if not refresh.updated:
        raise NothingToLearn(
            f"No fact seed changed in a way training can follow ({len(refresh.kept)} unchanged, "
            f"{len(refresh.dropped)} no longer found). New documents need fact seeds in "
            f"{args.facts_dir} before an adapter can learn them."
        )
    log.info(
        "%d facts changed: %s",
        len(refresh.updated),
        "; ".join(f"{f['id']}: {f['previous_answer']} -> {f['answer']}" for f in refresh.updated),
    )
    return refresh


def _train(
    args: RefreshArgs,
    config: Config,
    current: str,
    work: Path,
    stamp: str,
    progress: ProgressFile,
) -> Path:
    """Continue training `current` on the update's data in `work`, score it, write its card."""
    from serving.model import load_model
    from training.card import base_model_id, write_card
    from training.trainer import TrainArgs, train

    progress.update("loading the model", 0, 0)
    model, tokenizer = load_model(config, dtype="float32")
    train_args = TrainArgs(
        method=args.method,
        name=f"{REFRESHED}{stamp}",
        data_dir=str(work),
        output_root=str(config.data_path / REFRESHABLE[FIELDS[args.method]][0]),
        learning_rate=args.learning_rate or LEARNING_RATES[args.method] / 2,
        epochs=args.epochs,
        patience=args.epochs,  # few, small epochs: keep the best of all of them
        seed=args.seed,
        evaluate=0,
        max_steps=args.max_steps,
        init_from=current,
    )
    result = train(
        train_args,
        model,
        tokenizer,
        base_model_id(config),
        on_step=lambda step, total: progress.update("training", step, total),
    )
    progress.update("scoring new and old facts", 0, 0)
    del model  # full retraining changed it in place; scoring reloads from disk
    evaluation = _evaluate(args, config, current, result.output_dir, work)
    write_card(train_args, result, config, evaluation)
    return result.output_dir


def _evaluate(args: RefreshArgs, config: Config, before: str, after: Path, work: Path) -> dict:
    """New facts (phrasing 4) and a sample of the old test set, before and after the update."""
    from evaluation.batched import greedy_answers, score, trained_engine

    sets = {
        "new": read_jsonl(split_file(work, "test")),
        "old": read_jsonl(Path(args.old_test))[: args.retained],
    }
    scores: dict[str, dict] = {}
    for label, folder in (("before", before), ("after", str(after))):
        engine, adapter = trained_engine(args.method, config, folder)
        scores[label] = {
            name: score(
                greedy_answers(engine, [i["question"] for i in items], adapter=adapter),
                items,
            )
            for name, items in sets.items()
        }
        engine.close()
    return {"incremental": scores}


def _record(current: str, out: Path, refresh: Refresh, replay: int) -> None:
    """Add what changed to the run record the card wrote."""
    path = out / RUN_FILE
    record = json.loads(path.read_text())
    record["refresh"] = {
        "from": current,
        "updated": [
            {"id": f["id"], "before": f["previous_answer"], "after": f["answer"]}
            for f in refresh.updated
        ],
        "dropped": [{"id": f["id"], "reason": reason} for f, reason in refresh.dropped],
        "replay": replay,
    }
    path.write_text(json.dumps(record, indent=2))
