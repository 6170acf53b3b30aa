"""Training on the QA dataset, by LoRA or by full retraining (training/methods.py): loss on answer
tokens only, validation every epoch, early stopping, fixed seeds. The best epoch is what gets
saved: an adapter folder (LoRA) or a whole model folder (full)."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import QA_DIR
from common.files import safetensors_files
from training.batches import (
    IGNORE,
    Splits,
    answer_tokens,
    load_splits,
    to_batches,
    weighted_passes,
)
from training.methods import LEARNING_RATES, METHODS, PreparedModel, prepare
from training.qa import SEED
from training.tasks import TASKS
from training.training_log import log_row, peak_rss_mb, write_log

log = logging.getLogger(__name__)


@dataclass
class TrainArgs:
    """Hyper-parameters and paths of one training run (each is a --flag of the script)."""

    method: str = "lora"  # lora = a LoRA adapter; full = retrain every weight of the model
    # recall = answer the QA questions from memory (the LoRA column); read = answer from the RAG
    # column's context, or decline where it holds only distractors (the RAG + LoRA column's
    # reader, training/reading.py); both = one adapter for both columns (training/mixed.py)
    task: str = "recall"
    # --task read|both: share of the answerable questions whose context holds distractors only
    # (target: the not-found sentence). 0.2 made the first reader decline a third of the
    # answerable test questions; the reader's open questions (train-reading.jsonl) add near
    # misses.
    no_answer_share: float = 0.1
    # --task read|both: 1 = the training split takes data/qa/train-reading.jsonl's questions too
    # (answers the recall set lacks: terms, names, yes/no, open questions); 0 = train.jsonl only
    reading_extra: int = 1
    # name of the folder the weights are saved in; empty = that of the default APP_ADAPTER
    # (lora; the reader's with --task read) or of APP_RETRAINED (full)
    name: str = ""
    data_dir: str = QA_DIR  # folder of train/validation/test/general.jsonl (scripts.build_qa)
    # the folder that holds it; empty = the repository's adapters/ (lora) or the one that holds
    # APP_RETRAINED (full)
    output_root: str = ""
    rank: int = 16  # LoRA rank: inner size of each low-rank update (lora only)
    alpha: int = 32  # LoRA scale: updates are multiplied by alpha / rank (lora only)
    dropout: float = 0.05  # LoRA dropout probability on the adapter's input (lora only)
    # comma-separated names of the layers that get a LoRA update (lora only)
    target_modules: str = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"
    # peak AdamW learning rate (linear warm-up, then linear decay to 0); 0 = the method's
    # default (LEARNING_RATES in training/methods.py)
    learning_rate: float = 0.0
    # passes over the training set at most (early stopping may end sooner); 0 = the task's
    # (TASKS: 4 for recall, 1 for read)
    epochs: int = 0
    batch_size: int = 16  # examples per optimiser step
    # padded tokens per forward/backward pass at most: a step's passes (its examples cut into
    # parts, each trimmed to its longest) add up to the whole batch's gradient in less memory
    pass_tokens: int = 2048
    # tokens per example (prompt + answer), longer ones lose their start; 0 = the task's
    # (TASKS: 96 for recall, 512 for read)
    max_length: int = 0
    patience: int = 2  # epochs without a lower validation loss before training stops
    seed: int = SEED  # random seed of the weights' initialisation, shuffling and dropout
    limit: int = 0  # train on the first N examples only (0 = all): for smoke tests
    # stop after N optimiser steps; -1 = no limit, 0 = the task's (TASKS: none for recall, 36 for
    # read)
    max_steps: int = 0
    evaluate: int = 1  # 1 = score base vs trained weights on the test and general sets; 0 = skip
    bf16: int = 1  # 1 = bfloat16 autocast for the forward pass (trained weights stay fp32); 0 = off
    # continue from this adapter (lora) or weights folder (full); empty = start from the base
    init_from: str = ""
    progress: str = ""  # also write progress to this JSON file (the app's runs); empty = don't

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"--method {self.method!r}: choose one of {', '.join(METHODS)}")
        if self.task not in TASKS:
            raise ValueError(f"--task {self.task!r}: choose one of {', '.join(TASKS)}")
        if not 0 <= self.no_answer_share < 1:
            raise ValueError(f"--no-answer-share {self.no_answer_share}: choose 0 to below 1")
        self.learning_rate = self.learning_rate or LEARNING_RATES[self.method]
        defaults = TASKS[self.task]
        self.max_length = self.max_length or defaults.max_length
        self.epochs = self.epochs or defaults.epochs
        self.max_steps = self.max_steps or defaults.max_steps


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
            tokens = answer_tokens(batch)
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
    data: Splits | None = None,
) -> TrainResult:
    """Train `model` by `args.method`: LoRA leaves it untouched (PEFT adds separate weights), full
    retraining updates it in place. `base_name` is recorded as the base model in an adapter's
    config; `on_step(step, total)` is called after every optimiser step. `data`: the encoded
    examples (--task read); default: the QA splits of `args.data_dir`."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    set_seed(args.seed)
    started = time.perf_counter()
    accelerator = Accelerator()
    if data is None:
        data = load_splits(args.data_dir, tokenizer, args.max_length, args.batch_size, args.limit)
    trainable = prepare(args.method, model, tokenizer, vars(args), base_name)
    trainable.model.to(accelerator.device)
    out = Path(args.output_root) / args.name
    first_loss = mean_loss(trainable, data.probe, accelerator.device)
    rows = [log_row(0, 0, first_loss, mean_loss(trainable, data.validation, accelerator.device))]
    loop = _Loop(args, trainable, accelerator, len(data.train), on_step)
    best, best_epoch = _epochs(loop, data, out, rows, started)
    loop.close()
    write_log(out / "training_log.csv", rows)
    return TrainResult(
        output_dir=out,
        epochs_run=rows[-1]["epoch"],
        best_epoch=best_epoch,
        best_val_loss=best,
        first_train_loss=first_loss,
        last_train_loss=mean_loss(trainable, data.probe, accelerator.device),
        wall_s=time.perf_counter() - started,
        trainable_params=trainable.trainable_params,
        sizes=data.sizes,
        peak_rss_mb=peak_rss_mb(),
        saved_bytes=sum(f.stat().st_size for f in safetensors_files(out)),
        log_rows=rows,
    )


def _epochs(
    loop: _Loop, data: Splits, out: Path, rows: list[dict[str, Any]], started: float
) -> tuple[float, int]:
    """Train epoch by epoch, adding a log row for each; save the weights to `out` whenever the
    validation loss falls, and stop after `patience` epochs without a fall (or at max_steps).
    Returns the best validation loss and its epoch."""
    args, device = loop.args, loop.accelerator.device
    best, best_epoch, bad = math.inf, 0, 0
    for epoch in range(1, args.epochs + 1):
        train_loss = loop.epoch(to_batches(data.train, args.batch_size, data.pad_id, loop.rng))
        val = mean_loss(loop.trainable, data.validation, device)
        lr = loop.schedule.get_last_lr()[0]
        rows.append(log_row(epoch, loop.step, train_loss, val, lr, started))
        log.info("epoch %d: train loss %.4f, validation loss %.4f", epoch, train_loss, val)
        if val < best:
            best, best_epoch, bad = val, epoch, 0
            loop.trainable.save(out)
        else:
            bad += 1
        if bad >= args.patience or loop.step >= loop.total:
            break
    return best, best_epoch


class _Loop:
    """The optimiser steps of one run, counted across epochs, with a progress bar."""

    def __init__(
        self,
        args: TrainArgs,
        trainable: PreparedModel,
        accelerator: Any,
        examples: int,
        on_step: Callable[[int, int], None] | None,
    ) -> None:
        import torch
        from tqdm.auto import tqdm
        from transformers import get_linear_schedule_with_warmup

        self.args, self.trainable, self.accelerator = args, trainable, accelerator
        total = math.ceil(examples / args.batch_size) * args.epochs
        self.total = min(total, args.max_steps) if args.max_steps > 0 else total
        self.optimizer = torch.optim.AdamW(
            [p for p in trainable.model.parameters() if p.requires_grad], lr=args.learning_rate
        )
        warmup = max(1, self.total // 20)
        self.schedule = get_linear_schedule_with_warmup(self.optimizer, warmup, self.total)
        self.on_step = on_step
        self.rng = random.Random(args.seed)
        self.step = 0
        self.bar = tqdm(total=self.total, desc=f"training ({args.method})", unit="step")

    def epoch(self, shuffled: list[dict]) -> float:
        """Run one epoch (or what is left of max_steps); return its mean training loss."""
        self.trainable.model.train()
        running, seen = 0.0, 0
        for batch in shuffled:
            if self.step >= self.total:
                break
            loss = self._gradients(batch)
            self.optimizer.step()
            self.schedule.step()
            self.optimizer.zero_grad(set_to_none=True)
            running, seen, self.step = running + loss, seen + 1, self.step + 1
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{running / seen:.3f}")
            if self.on_step:
                self.on_step(self.step, self.total)
        return running / max(seen, 1)

    def _gradients(self, batch: dict) -> float:
        """The step's gradients, pass by pass: each part's loss weighted by its share of the
        batch's answer tokens, so the sum is the whole batch's loss. Returns that loss."""
        loss = 0.0
        for part, weight in weighted_passes(batch, self.args.pass_tokens):
            part = {k: v.to(self.accelerator.device) for k, v in part.items()}
            weighted = answer_loss(self.trainable.causal_lm, part, bool(self.args.bf16)) * weight
            self.accelerator.backward(weighted)
            loss += weighted.item()
        return loss

    def close(self) -> None:
        self.bar.close()
