"""The data of `--task both`: one adapter trained to recall (the LoRA column) and to read (the
RAG + reader column), on the same examples and steps as the two adapters' default runs together,
so that one against two is measured at the same training cost."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from common.config import Config
from training.batches import Splits, encoded_split, make_splits
from training.reading import reading_rows
from training.tasks import TASKS

if TYPE_CHECKING:
    from training.trainer import TrainArgs


def both_data(config: Config, args: TrainArgs, tokenizer: Any) -> Splits:
    """The recall pairs repeated once per recall epoch, and as many reading examples (seeded) as
    the reader's default run sees, in one pass; validation holds both tasks' examples."""
    recall, read = TASKS["recall"], TASKS["read"]
    reading = replace(args, max_length=read.max_length)
    read_train, read_validation, sizes = reading_rows(config, reading, tokenizer)
    seen = read.max_steps * args.batch_size
    read_train = random.Random(args.seed).sample(read_train, min(seen, len(read_train)))
    pairs = encoded_split(args.data_dir, "train", tokenizer, recall.max_length, args.limit)
    validation = encoded_split(args.data_dir, "validation", tokenizer, recall.max_length)
    train = [*pairs * recall.epochs, *read_train]
    sizes = {
        f"train: question/answer pairs (x{recall.epochs})": len(pairs),
        "train: reading examples used": len(read_train),
        **{f"reading {name}": count for name, count in sizes.items()},
        "validation: question/answer pairs": len(validation),
    }
    return make_splits(
        train, [*validation, *read_validation], tokenizer.pad_token_id, args.batch_size, sizes
    )
