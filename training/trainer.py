"""Training on the QA dataset, by LoRA or by full retraining (training/methods.py): loss on answer
tokens only, validation every epoch, early stopping, fixed seeds. The best epoch is what gets
saved: an adapter folder (LoRA) or a whole model folder (full)."""

from __future__ import annotations

import csv
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.files import safetensors_files
from pipelines.generation import chat
from training.methods import LEARNING_RATES, METHODS, PreparedModel, prepare
from training.qa import read_jsonl

log = logging.getLogger(__name__)
IGNORE = -100
PROBE = 64


@dataclass
class TrainArgs:
    """Hyper-parameters and paths of one training run (each is a --flag of the script)."""

    method: str = "lora"  # lora = a LoRA adapter; full = retrain every weight of the model
    name: str = ""  # output folder name; empty = smollm2-corpus-lora, or APP_RETRAINED's (full)
    data_dir: str = "data/qa"
    output_root: str = ""  # empty = adapters/ (lora), APP_RETRAINED's folder (full)
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: str = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    learning_rate: float = 0.0  # 0 = the method's default (LoRA 2e-3, full 2e-4)
    epochs: int = 4
    batch_size: int = 16
    max_length: int = 96
    patience: int = 2
    seed: int = 13
    limit: int = 0  # train on the first N examples only (0 = all): for smoke tests
    max_steps: int = 0  # stop after N optimiser steps (0 = no limit): for smoke tests
    evaluate: int = 1  # 1 = score base vs LoRA on the test and general sets for the card
    bf16: int = 1  # 1 = bfloat16 autocast for the forward pass (LoRA weights stay fp32)
    init_from: str = ""  # continue from this adapter (lora) or weights folder (full)
    progress: str = ""  # also write progress to this JSON file (the app's background runs)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"--method {self.method!r}: choose one of {', '.join(METHODS)}")
        self.learning_rate = self.learning_rate or LEARNING_RATES[self.method]


@dataclass
class TrainResult:
    output_dir: Path
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    first_train_loss: float
    last_train_loss: float
    wall_s: float
    trainable_params: int
    sizes: dict[str, int]
    peak_rss_mb: float = 0.0  # the training process's peak resident memory (model load included)
    saved_bytes: int = 0  # size on disk of the saved weights
    log_rows: list[dict[str, Any]] = field(default_factory=list)


def encode(tokenizer: Any, question: str, answer: str, max_length: int) -> dict[str, list[int]]:
    """Chat prompt + answer; labels mask the prompt so the loss is on answer tokens only."""
    messages = chat([], question)  # exactly what the LoRA column sends
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + answer_ids)[-max_length:]
    labels = ([IGNORE] * len(prompt_ids) + answer_ids)[-max_length:]
    return {"input_ids": ids, "labels": labels}


def _batches(rows: list[dict], size: int, pad_id: int, rng: random.Random | None) -> list[dict]:
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
    batches = []
    for start in starts:
        chunk = [rows[i] for i in order[start : start + size]]
        width = max(len(r["input_ids"]) for r in chunk)

        def padded(values: list[int], fill: int, width: int = width) -> list[int]:
            return values + [fill] * (width - len(values))

        batches.append(
            {
                "input_ids": torch.tensor([padded(r["input_ids"], pad_id) for r in chunk]),
                "labels": torch.tensor([padded(r["labels"], IGNORE) for r in chunk]),
                "attention_mask": torch.tensor(
                    [padded([1] * len(r["input_ids"]), 0) for r in chunk]
                ),
            }
        )
    return batches


def _load_split(args: TrainArgs, tokenizer: Any, split: str) -> list[dict]:
    items = read_jsonl(Path(args.data_dir) / f"{split}.jsonl")
    if split == "train" and args.limit:
        items = items[: args.limit]
    return [encode(tokenizer, i["question"], i["answers"][0], args.max_length) for i in items]


def answer_loss(causal_lm: Any, batch: dict[str, Any], bf16: bool = False) -> Any:
    """Cross-entropy on answer tokens. The vocabulary projection, a fifth of this model's
    compute, runs only at answer positions instead of at every position."""
    import torch
    import torch.nn.functional as F

    device = batch["input_ids"].device.type
    with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        hidden = causal_lm.model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state[:, :-1]
        targets = batch["labels"][:, 1:]
        keep = targets != IGNORE
        logits = causal_lm.lm_head(hidden[keep])
    return F.cross_entropy(logits.float(), targets[keep])


def mean_loss(trainable: PreparedModel, batches: list[dict], device: Any) -> float:
    import torch

    model = trainable.model
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            batch = {k: v.to(device) for k, v in batch.items()}
            tokens = int((batch["labels"][:, 1:] != IGNORE).sum())
            total += float(answer_loss(trainable.causal_lm, batch)) * tokens
            count += tokens
    model.train()
    return total / max(count, 1)


def train(
    args: TrainArgs,
    model: Any,
    tokenizer: Any,
    base_name: str = "",
    on_step: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train `model` by `args.method`: LoRA leaves it untouched (PEFT adds separate weights), full
    retraining updates it in place. `base_name` is recorded as the base model in an adapter's
    config; `on_step(step, total)` is called after every optimiser step."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import get_linear_schedule_with_warmup

    set_seed(args.seed)
    started = time.perf_counter()
    accelerator = Accelerator()
    pad = tokenizer.pad_token_id
    train_rows = _load_split(args, tokenizer, "train")
    val_rows = _load_split(args, tokenizer, "validation")
    val_batches = _batches(val_rows, args.batch_size, pad, None)
    # Training loss before and after is measured on a fixed probe of the training set.
    probe = _batches(train_rows[:PROBE], args.batch_size, pad, None)
    trainable = prepare(args.method, model, tokenizer, vars(args), base_name)
    trainable.model.to(accelerator.device)
    total_steps = math.ceil(len(train_rows) / args.batch_size) * args.epochs
    total_steps = min(total_steps, args.max_steps or total_steps)
    optimizer = torch.optim.AdamW(
        [p for p in trainable.model.parameters() if p.requires_grad], lr=args.learning_rate
    )
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, total_steps // 20), total_steps)
    out = Path(args.output_root) / args.name
    first_loss = mean_loss(trainable, probe, accelerator.device)
    rows = [_row(0, 0, first_loss, mean_loss(trainable, val_batches, accelerator.device), 0.0, 0)]
    loop = _Loop(args, trainable, accelerator, optimizer, schedule, total_steps, on_step)
    best, best_epoch, bad = math.inf, 0, 0
    for epoch in range(1, args.epochs + 1):
        train_loss = loop.epoch(_batches(train_rows, args.batch_size, pad, loop.rng))
        val = mean_loss(trainable, val_batches, accelerator.device)
        rows.append(_row(epoch, loop.step, train_loss, val, schedule.get_last_lr()[0], started))
        log.info("epoch %d: train loss %.4f, validation loss %.4f", epoch, train_loss, val)
        if val < best:
            best, best_epoch, bad = val, epoch, 0
            trainable.save(out)
        else:
            bad += 1
        if bad >= args.patience or loop.step >= total_steps:
            break
    loop.close()
    _write_log(out / "training_log.csv", rows)
    return TrainResult(
        output_dir=out,
        epochs_run=rows[-1]["epoch"],
        best_epoch=best_epoch,
        best_val_loss=best,
        first_train_loss=first_loss,
        last_train_loss=mean_loss(trainable, probe, accelerator.device),
        wall_s=time.perf_counter() - started,
        trainable_params=trainable.trainable_params,
        sizes={"train": len(train_rows), "validation": len(val_rows)},
        peak_rss_mb=peak_rss_mb(),
        saved_bytes=sum(f.stat().st_size for f in safetensors_files(out)),
        log_rows=rows,
    )


class _Loop:
    """The optimiser steps of one run, counted across epochs, with a progress bar."""

    def __init__(
        self,
        args: TrainArgs,
        trainable: PreparedModel,
        accelerator: Any,
        optimizer: Any,
        schedule: Any,
        total_steps: int,
        on_step: Callable[[int, int], None] | None,
    ) -> None:
        from tqdm.auto import tqdm

        self.args, self.trainable, self.accelerator = args, trainable, accelerator
        self.optimizer, self.schedule, self.total = optimizer, schedule, total_steps
        self.on_step = on_step
        self.rng = random.Random(args.seed)
        self.step = 0
        self.bar = tqdm(total=total_steps, desc=f"training ({args.method})", unit="step")

    def epoch(self, batches: list[dict]) -> float:
        """Run one epoch (or what is left of max_steps); return its mean training loss."""
        self.trainable.model.train()
        running, seen = 0.0, 0
        for batch in batches:
            if self.step >= self.total:
                break
            batch = {k: v.to(self.accelerator.device) for k, v in batch.items()}
            loss = answer_loss(self.trainable.causal_lm, batch, bool(self.args.bf16))
            self.accelerator.backward(loss)
            self.optimizer.step()
            self.schedule.step()
            self.optimizer.zero_grad(set_to_none=True)
            running, seen, self.step = running + loss.item(), seen + 1, self.step + 1
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{running / seen:.3f}")
            if self.on_step:
                self.on_step(self.step, self.total)
        return running / max(seen, 1)

    def close(self) -> None:
        self.bar.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _row(epoch: int, step: int, train_loss: float, val_loss: float, lr: float, started: float):
    elapsed = time.perf_counter() - started if started else 0.0
    return {
        "epoch": epoch,
        "step": step,
        "train_loss": round(train_loss, 5),
        "val_loss": round(val_loss, 5),
        "lr": lr,
        "elapsed_s": round(elapsed, 1),
    }


def _write_log(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
