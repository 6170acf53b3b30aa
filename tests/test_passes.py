"""A training step cut into passes (training/batches.py `passes`) gives the gradient of the whole
batch in one pass: the parts' losses, weighted by their answer tokens, add up to its loss."""

from __future__ import annotations

import random

import pytest

torch = pytest.importorskip("torch")


def tiny_model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
    )  # fmt: skip
    return LlamaForCausalLM(config).float()


def batch_of(lengths: list[int]) -> dict:
    from training.batches import IGNORE, to_batches

    rng = random.Random(3)
    rows = []
    for length in lengths:
        ids = [rng.randrange(1, 64) for _ in range(length)]
        prompt = length // 2
        rows.append({"input_ids": ids, "labels": [IGNORE] * prompt + ids[prompt:]})
    (batch,) = to_batches(rows, len(rows), 0, None)
    return batch


def gradients(model, loss) -> list:
    model.zero_grad()
    loss.backward()
    return [p.grad.clone() for p in model.parameters() if p.grad is not None]


def test_passes_cut_a_batch_and_trim_each_part_to_its_longest_example():
    from training.batches import passes

    batch = batch_of([30, 9, 12, 5, 20])
    assert passes(batch, 10_000) == [batch]
    parts = passes(batch, 60)  # 60 tokens of width 30: two examples per pass
    assert [tuple(p["input_ids"].shape) for p in parts] == [(2, 30), (2, 12), (1, 20)]
    for key in batch:
        joined = [row[: len(row)] for part in parts for row in part[key].tolist()]
        assert [row[: len(j)] for row, j in zip(batch[key].tolist(), joined, strict=True)] == joined


def test_the_weighted_passes_give_the_whole_batchs_loss_and_gradient():
    from training.batches import weighted_passes
    from training.trainer import answer_loss

    model = tiny_model()
    batch = batch_of([30, 9, 12, 5, 20])
    whole = answer_loss(model, batch)
    expected = gradients(model, whole)

    parts = weighted_passes(batch, 40)
    model.zero_grad()
    total = 0.0
    for part, weight in parts:
        loss = answer_loss(model, part) * weight
        loss.backward()
        total += loss.item()
    got = [p.grad for p in model.parameters() if p.grad is not None]
    assert len(parts) == 5 and total == pytest.approx(whole.item(), rel=1e-5)
    for a, b in zip(got, expected, strict=True):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-4)
