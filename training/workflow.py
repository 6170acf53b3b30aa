"""A whole training run as `python -m scripts.train_lora` makes it: load the data and the app's
base model, train by the method, score the saved weights against the base, write the card."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from common.config import BOTH_ADAPTER, READER_ADAPTER, Config
from common.threads import on_all_cores
from evaluation.batched import compare, trained_engine
from serving.local_engine import LocalEngine
from serving.model import load_model
from training.card import base_model_id, write_card
from training.mixed import both_data
from training.progress import ProgressFile
from training.qa import read_jsonl, split_file
from training.reading import reading_data
from training.trainer import TrainArgs, train

log = logging.getLogger("train_lora")
TASK_DATA = {"read": reading_data, "both": both_data}  # recall: the QA splits (the trainer's own)


def run_command(args: TrainArgs, config: Config) -> Path:
    """What `python -m scripts.train_lora` does: `run` on every core, into the method's own
    folder, its outcome written to the --progress file if one is given."""
    progress = ProgressFile(Path(args.progress)) if args.progress else None
    try:
        out = on_all_cores(lambda: run(with_outputs(args, config), config, progress))
    except Exception as exc:
        if progress:
            progress.finish(error=f"training failed: {exc}")
        raise
    if progress:
        progress.finish(adapter=str(out))
    return out


def with_outputs(args: TrainArgs, config: Config) -> TrainArgs:
    """Fill in the method's output folder: the repo's adapters/ for LoRA (the default
    APP_ADAPTER, or the reader's folder for --task read); APP_RETRAINED (in the data folder: too
    large to commit) for full retraining, with "-reader" after its name for --task read; for
    --task both, BOTH_ADAPTER (or "-both" after the full model's name)."""
    if args.method == "full":
        full = config.retrained_path
        suffix = {"read": "-reader", "both": "-both"}.get(args.task, "")
        target = full.with_name(f"{full.name}{suffix}")
    elif args.task == "both":
        target = Path(BOTH_ADAPTER)
    else:
        target = Path(READER_ADAPTER if args.task == "read" else Config.adapter)
    return replace(
        args, name=args.name or target.name, output_root=args.output_root or str(target.parent)
    )


def run(args: TrainArgs, config: Config, progress: ProgressFile | None = None) -> Path:
    """Train, score and describe; returns the folder of the saved (best) weights."""

    def report(step: int, total: int) -> None:
        if progress:
            progress.update("training", step, total)

    report(0, 0)
    model, tokenizer = load_model(config, dtype="float32")  # fp32 master weights
    data = TASK_DATA[args.task](config, args, tokenizer) if args.task in TASK_DATA else None
    result = train(args, model, tokenizer, base_model_id(config), on_step=report, data=data)
    del model  # full retraining changed it in place; evaluation reloads both from disk
    if progress:
        progress.update("scoring base and trained weights", 0, 0)
    evaluation = evaluate(args, config, result.output_dir) if args.evaluate else None
    card = write_card(args, result, config, evaluation)
    log.info(
        "%s saved to %s (best epoch %d, validation loss %.4f, %.0f s, peak %.0f MB); card: %s",
        args.method,
        result.output_dir,
        result.best_epoch,
        result.best_val_loss,
        result.wall_s,
        result.peak_rss_mb,
        card,
    )
    return result.output_dir


def engines(
    args: TrainArgs, config: Config, out: Path
) -> dict[str, tuple[LocalEngine, str | None]]:
    """The base model and the trained one, reloaded from disk as the app loads them, each with
    the adapter to ask for (None: the base weights)."""
    engine, adapter = trained_engine(args.method, config, str(out))
    if adapter is not None:  # the LoRA's engine answers for the base too, without the adapter
        return {"base": (engine, None), args.method: (engine, adapter)}
    from serving.local_engine import torch_engine

    model, tokenizer = load_model(config)
    return {"base": (torch_engine(model, tokenizer), None), args.method: (engine, None)}


def evaluate(args: TrainArgs, config: Config, out: Path) -> dict[str, Any]:
    """Score the saved (best) weights against the base on the test and general sets. A reader
    (--task read) is scored on the general set only, without context (its forgetting): the test
    questions without their context measure recall, which it was not trained for."""
    variants = engines(args, config, out)
    started = time.perf_counter()
    sets = ("general",) if args.task == "read" else ("test", "general")
    scores = {s: compare(variants, read_jsonl(split_file(args.data_dir, s))) for s in sets}
    general = scores["general"]
    forgetting = round(general[args.method]["contains"] - general["base"]["contains"], 4)
    log.info("%s; forgetting delta %+.3f", scores, forgetting)
    for engine in {id(e): e for e, _ in variants.values()}.values():
        engine.close()
    return {
        **scores,
        "forgetting_delta": forgetting,
        "eval_s": round(time.perf_counter() - started, 1),
    }
