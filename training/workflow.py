"""A whole training run as `python -m scripts.train_lora` makes it: load the data and the app's
base model, train by the method, score the saved weights against the base, write the card."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from common.config import Config
from common.threads import on_all_cores
from evaluation.batched import compare, trained_engine
from serving.local_engine import LocalEngine
from serving.model import load_model
from training.card import base_model_id, write_card
from training.progress import ProgressFile
from training.qa import read_jsonl, split_file
from training.trainer import TrainArgs, train

log = logging.getLogger("train_lora")


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
    APP_ADAPTER); APP_RETRAINED (in the data folder: too large to commit) for full retraining."""
    target = config.retrained_path if args.method == "full" else Path(Config.adapter)
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
    result = train(args, model, tokenizer, base_model_id(config), on_step=report)
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


def engines(args: TrainArgs, config: Config, out: Path) -> dict[str, tuple[LocalEngine, bool]]:
    """The base model and the trained one, reloaded from disk as the app loads them."""
    engine, use_adapter = trained_engine(args.method, config, str(out))
    if use_adapter:  # the LoRA's engine answers for the base too, without the adapter
        return {"base": (engine, False), args.method: (engine, True)}
    from serving.local_engine import torch_engine

    model, tokenizer = load_model(config)
    base = torch_engine(model, tokenizer, "the base model alone")
    return {"base": (base, False), args.method: (engine, False)}


def evaluate(args: TrainArgs, config: Config, out: Path) -> dict[str, Any]:
    """Score the saved (best) weights against the base on the test and general sets."""
    variants = engines(args, config, out)
    started = time.perf_counter()
    test = compare(variants, read_jsonl(split_file(args.data_dir, "test")))
    general = compare(variants, read_jsonl(split_file(args.data_dir, "general")))
    forgetting = round(general[args.method]["contains"] - general["base"]["contains"], 4)
    log.info("test %s; general %s; forgetting delta %+.3f", test, general, forgetting)
    for engine in {id(e): e for e, _ in variants.values()}.values():
        engine.close()
    return {
        "test": test,
        "general": general,
        "forgetting_delta": forgetting,
        "eval_s": round(time.perf_counter() - started, 1),
    }
