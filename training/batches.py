"""The QA splits as the training loop takes them: token ids of the chat prompt and its answer,
labels that mask the prompt, and right-padded tensor batches."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from common.messages import Message
from pipelines.generation import chat
from training.qa import read_jsonl, split_file

IGNORE = -100  # the label of a position the loss skips (the prompt, the padding)
PROBE = 64  # training examples on which the training loss is measured before and after


def encode(tokenizer: Any, question: str, answer: str, max_length: int) -> dict[str, list[int]]:
    """Chat prompt + answer; labels mask the prompt so the loss is on answer tokens only."""
    return encode_messages(tokenizer, chat([], question), answer, max_length)  # as the LoRA column


def encode_messages(
    tokenizer: Any, messages: list[Message], answer: str, max_length: int
) -> dict[str, list[int]]:
    """The chat `messages` as a prompt, then `answer`; labels mask the prompt."""
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + answer_ids)[-max_length:]
    labels = ([IGNORE] * len(prompt_ids) + answer_ids)[-max_length:]
    return {"input_ids": ids, "labels": labels}


def to_batches(rows: list[dict], size: int, pad_id: int, rng: random.Random | None) -> list[dict]:
    """Right-padded tensor batches. With `rng`, examples of similar length share a batch (less
    padding) and the batch order is shuffled; without, the order is kept."""
    import torch

    order = list(range(len(rows)))
    if rng is not None:
        rng.shuffle(order)
        order.sort(key=lambda i: len(rows[i]["input_ids"]))  # stable: shuffled within a length
    starts = list(range(0, len(order), size))
    if rng is not None:
        rng.shuffle(starts)
    result = []
    for start in starts:
        group = [rows[i] for i in order[start : start + size]]
        width = max(len(r["input_ids"]) for r in group)

        def padded(values: list[int], fill: int, width: int = width) -> list[int]:
            return values + [fill] * (width - len(values))

        result.append(
            {
                "input_ids": torch.tensor([padded(r["input_ids"], pad_id) for r in group]),
                "labels": torch.tensor([padded(r["labels"], IGNORE) for r in group]),
                "attention_mask": torch.tensor(
                    [padded([1] * len(r["input_ids"]), 0) for r in group]
                ),
            }
        )
    return result


def passes(batch: dict, max_tokens: int) -> list[dict]:
    """`batch` cut into parts of at most `max_tokens` padded tokens (at least one example
    each), each trimmed to its own longest example. Rows are right-padded, so a trimmed column
    holds padding only: no token attends to it and no label is in it."""
    rows, width = batch["input_ids"].shape
    size = max(1, max_tokens // max(width, 1))
    if size >= rows:
        return [batch]
    parts = []
    for start in range(0, rows, size):
        part = {key: value[start : start + size] for key, value in batch.items()}
        used = int(part["attention_mask"].sum(dim=1).max())
        parts.append({key: value[:, :used] for key, value in part.items()})
    return parts


def answer_tokens(batch: dict) -> int:
    """The tokens of `batch` the loss is computed on (labels shift by one: position 0 predicts
    nothing)."""
    return int((batch["labels"][:, 1:] != IGNORE).sum())


def weighted_passes(batch: dict, max_tokens: int) -> list[tuple[dict, float]]:
    """`passes`, each with its share of the batch's answer tokens: the parts' answer losses so
    weighted add up to the whole batch's. A part without answer tokens (all cut off) is left out."""
    parts = passes(batch, max_tokens)
    tokens = [answer_tokens(part) for part in parts]
    total = sum(tokens)
    return [(part, share / total) for part, share in zip(parts, tokens, strict=True) if share]


@dataclass
class Splits:
    """A run's data: training rows (batched anew every epoch), validation batches, and a fixed
    probe of the training set."""

    train: list[dict]
    validation: list[dict]
    probe: list[dict]
    pad_id: int
    sizes: dict[str, int]


def load_splits(
    data_dir: str, tokenizer: Any, max_length: int, batch_size: int, limit: int = 0
) -> Splits:
    """Encode the train and validation splits of `data_dir`; `limit` keeps the first N training
    examples (0 = all)."""
    train = encoded_split(data_dir, "train", tokenizer, max_length, limit)
    validation = encoded_split(data_dir, "validation", tokenizer, max_length)
    return make_splits(train, validation, tokenizer.pad_token_id, batch_size)


def make_splits(
    train: list[dict],
    validation: list[dict],
    pad_id: int,
    batch_size: int,
    sizes: dict[str, int] | None = None,
) -> Splits:
    """A run's data from encoded rows; `sizes` (default: the two counts) is what the card lists."""
    return Splits(
        train=train,
        validation=to_batches(validation, batch_size, pad_id, None),
        probe=to_batches(train[:PROBE], batch_size, pad_id, None),
        pad_id=pad_id,
        sizes=sizes or {"train": len(train), "validation": len(validation)},
    )


def encoded_split(
    data_dir: str, split: str, tokenizer: Any, max_length: int, limit: int = 0
) -> list[dict]:
    """A QA split's question/answer pairs, encoded as the LoRA column asks them."""
    items = read_jsonl(split_file(data_dir, split))
    items = items[:limit] if limit else items
    return [encode(tokenizer, i["question"], i["answers"][0], max_length) for i in items]
