"""A tiny LoRA training run with the real model: it saves an adapter that reloads, and learns."""

from __future__ import annotations

import json

import pytest

from serving.engine import ADAPTER
from serving.local_engine import load_engine
from serving.model import load_model
from training.batches import encode
from training.qa import write_jsonl
from training.trainer import TrainArgs, train

pytestmark = pytest.mark.model

ITEMS = [
    {"question": "What colour is the Zorblat gateway's status lamp?", "answers": ["teal"]},
    {"question": "How many ports does the Zorblat gateway have?", "answers": ["seven ports"]},
    {"question": "Who makes the Zorblat gateway?", "answers": ["Quillon Works"]},
    {"question": "What is the Zorblat warranty?", "answers": ["41 months"]},
]


def test_labels_cover_only_the_answer(real_config):
    _, tokenizer = load_model(real_config)
    row = encode(tokenizer, "Q?", "teal", max_length=128)
    answer_ids = tokenizer("teal" + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    assert [t for t in row["labels"] if t != -100] == answer_ids
    assert row["input_ids"][-len(answer_ids) :] == answer_ids


def test_a_few_steps_save_an_adapter_that_reloads_and_the_loss_falls(real_config, tmp_path):
    data = tmp_path / "qa"
    write_jsonl(data / "train.jsonl", ITEMS)
    write_jsonl(data / "validation.jsonl", ITEMS[:2])
    args = TrainArgs(
        name="tiny",
        data_dir=str(data),
        output_root=str(tmp_path / "adapters"),
        epochs=6,
        batch_size=4,
        learning_rate=3e-3,
        rank=4,
        alpha=8,
        patience=6,
    )
    model, tokenizer = load_model(real_config, dtype="float32")
    result = train(args, model, tokenizer)
    assert result.last_train_loss < result.first_train_loss * 0.7
    out = tmp_path / "adapters" / "tiny"
    assert json.loads((out / "adapter_config.json").read_text())["r"] == 4
    assert (out / "training_log.csv").read_text().startswith("epoch,step,train_loss,val_loss")
    fresh_model, fresh_tokenizer = load_model(real_config)
    engine = load_engine(fresh_model, fresh_tokenizer, {ADAPTER: str(out)})
    assert engine.adapter_error(ADAPTER) is None
