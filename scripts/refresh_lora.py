"""Catch the LoRA adapter up with the current documents by an incremental training run.

    python -m scripts.refresh_lora [--epochs 3] [--replay 96]
    python -m scripts.refresh_lora --reset        # serve the configured APP_ADAPTER again

Fact seeds whose evidence changed are re-anchored in the new text (training/refresh.py); the
adapter the app serves continues training on those facts plus a replay sample of unchanged ones.
The result goes to APP_DATA_DIR/adapters/refresh-<time>/ with its card, and becomes the adapter
the app serves (a running app switches to it when started from its Documents tab; otherwise at
its next start). Progress is written to APP_DATA_DIR/training/progress.json.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import Config
from pipelines.documents import Documents
from pipelines.snapshot import ACTIVE, active_config, write_active
from pipelines.threads import on_all_cores
from scripts.cli import parse_dataclass, setup
from training.progress import ProgressFile
from training.qa import load_facts, read_jsonl, write_jsonl
from training.refresh import Refresh, incremental_splits, refresh_facts

log = logging.getLogger("refresh_lora")


@dataclass
class RefreshArgs:
    epochs: int = 3
    learning_rate: float = 1e-3
    replay: int = 96  # unchanged training questions mixed in against forgetting
    repeat: int = 4  # times each changed fact's phrasings appear per epoch
    retained: int = 40  # old test questions scored before and after (forgetting)
    seed: int = 13
    max_steps: int = 0  # stop after N optimiser steps (0 = no limit): for smoke tests
    facts_dir: str = "data/facts"
    old_train: str = "data/qa/train.jsonl"
    old_test: str = "data/qa/test.jsonl"
    reset: int = 0  # 1 = forget refreshed adapters: serve APP_ADAPTER again


class NothingToLearn(RuntimeError):
    """No fact changed in a way training can follow; the message says what was found."""


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_dataclass(RefreshArgs, __doc__.splitlines()[0], argv)
    config = Config.from_env()
    if args.reset:
        (config.data_path / "adapters" / ACTIVE).unlink(missing_ok=True)
        log.info("the app serves %s again (from its next start)", config.adapter)
        return
    progress = ProgressFile(config.data_path / "training" / "progress.json")
    try:
        out = on_all_cores(lambda: run(args, config, progress))
    except NothingToLearn as exc:
        progress.finish(error=str(exc))
        log.error("%s", exc)
        raise SystemExit(1) from None
    except Exception as exc:
        progress.finish(error=f"training failed: {exc}")
        raise
    progress.finish(adapter=str(out))
    log.info("refreshed adapter: %s", out)


def run(args: RefreshArgs, configured: Config, progress: ProgressFile) -> Path:
    """Train the served adapter on what changed; returns the new adapter folder, which is
    then the one served in place of the configured APP_ADAPTER."""
    config = active_config(configured)  # the adapter served now: a refresh builds on it
    progress.update("checking the fact seeds against the documents", 0, 0)
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
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = config.data_path / "training" / stamp
    for split, rows in incremental_splits(
        refresh, read_jsonl(Path(args.old_train)), args.replay, args.repeat, args.seed
    ).items():
        write_jsonl(work / f"{split}.jsonl", rows)
    out = _train(args, config, work, stamp, progress)
    _record(args, config, out, refresh)
    write_active(config.data_path, out, configured.adapter)
    return out


def _train(
    args: RefreshArgs, config: Config, work: Path, stamp: str, progress: ProgressFile
) -> Path:
    from pipelines.model import load_model
    from training.card import base_model_id, write_card
    from training.lora import TrainArgs, train

    progress.update("loading the model", 0, 0)
    model, tokenizer = load_model(config, dtype="float32")
    train_args = TrainArgs(
        name=f"refresh-{stamp}",
        data_dir=str(work),
        output_root=str(config.data_path / "adapters"),
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        patience=args.epochs,  # few, small epochs: keep the best of all of them
        seed=args.seed,
        evaluate=0,
        max_steps=args.max_steps,
        init_adapter=config.adapter,
    )
    result = train(
        train_args,
        model,
        tokenizer,
        base_model_id(config),
        on_step=lambda step, total: progress.update("training", step, total),
    )
    progress.update("scoring new and old facts", 0, 0)
    evaluation = _evaluate(args, config, result.output_dir, work)
    write_card(train_args, result, config, evaluation)
    return result.output_dir


def _evaluate(args: RefreshArgs, config: Config, adapter: Path, work: Path) -> dict:
    """New facts (phrasing 4) and a sample of the old test set, before and after the update."""
    from evaluation.batched import greedy_answers, score
    from pipelines.engine import load_engine
    from pipelines.model import load_model

    sets = {
        "new": read_jsonl(work / "test.jsonl"),
        "old": read_jsonl(Path(args.old_test))[: args.retained],
    }
    scores: dict[str, dict] = {}
    for label, folder in (("before", config.adapter), ("after", str(adapter))):
        model, tokenizer = load_model(config)
        engine = load_engine(model, tokenizer, folder)
        scores[label] = {
            name: score(
                greedy_answers(engine, [i["question"] for i in items], use_adapter=True), items
            )
            for name, items in sets.items()
        }
        engine.close()
    return {"incremental": scores}


def _record(args: RefreshArgs, config: Config, out: Path, refresh: Refresh) -> None:
    """Add what changed to the run record the card wrote."""
    import json

    path = out / "run.json"
    run = json.loads(path.read_text())
    run["refresh"] = {
        "from_adapter": config.adapter,
        "updated": [
            {"id": f["id"], "before": f["previous_answer"], "after": f["answer"]}
            for f in refresh.updated
        ],
        "dropped": [{"id": f["id"], "reason": reason} for f, reason in refresh.dropped],
        "replay": args.replay,
    }
    path.write_text(json.dumps(run, indent=2))


if __name__ == "__main__":
    main()
