"""The adapter's model card: data, hyper-parameters, loss curves and measured facts of the run."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.commands import TRAIN
from common.config import QA_DIR, Config, default_model
from common.messages import NOT_FOUND
from documents.chunks import CorpusFile, corpus_hash
from documents.store import Documents
from training.runs import RUN_FILE, document_hashes, read_run
from training.trainer import TrainArgs, TrainResult

DATA = {  # what each task trains on, as the card says it
    "recall": "question/answer pairs",
    "read": (
        "reading examples (task=read: each question with the context the RAG column builds for"
        " it, answered from that context or with the not-found sentence)"
    ),
    "both": (
        "question/answer pairs and reading examples (task=both: one adapter for the LoRA and the"
        " RAG + reader columns)"
    ),
}
WHAT = {
    "lora": "A LoRA adapter for {base}",
    "full": "{base} with every weight retrained (full-parameter training)",
}


def base_model_id(config: Config) -> str:
    """The base model as a card names it: the hub id the default GGUF was quantised from."""
    if config.model == default_model():
        return "HuggingFaceTB/SmolLM2-135M-Instruct"
    return config.model if not config.model.endswith(".gguf") else Path(config.model).name


def loss_curve_svg(rows: list[dict[str, Any]], width: int = 560, height: int = 260) -> str:
    """Train and validation loss per epoch as a small standalone SVG line chart."""
    pad = 40
    epochs = [r["epoch"] for r in rows]
    values = [r[k] for r in rows for k in ("train_loss", "val_loss")]
    top, span_x = max(values) * 1.05, max(max(epochs), 1)

    def point(epoch: float, value: float) -> str:
        x = pad + (width - 2 * pad) * epoch / span_x
        y = height - pad - (height - 2 * pad) * value / top
        return f"{x:.1f},{y:.1f}"

    lines = []
    for key, colour in (("train_loss", "#1f77b4"), ("val_loss", "#d62728")):
        points = " ".join(point(r["epoch"], r[key]) for r in rows)
        lines.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
    ticks = "".join(
        f'<text x="{point(e, 0).split(",")[0]}" y="{height - pad + 16}" font-size="11" '
        f'text-anchor="middle">{e}</text>'
        for e in epochs
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#444"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#444"/>'
        f'<text x="{pad}" y="{pad - 10}" font-size="11">loss (max {top:.2f})</text>'
        f'<text x="{width - pad}" y="{height - 6}" font-size="11" text-anchor="end">epoch</text>'
        f"{ticks}{''.join(lines)}"
        f'<text x="{width - pad}" y="{pad}" font-size="12" fill="#1f77b4" '
        'text-anchor="end">train</text>'
        f'<text x="{width - pad}" y="{pad + 16}" font-size="12" fill="#d62728" '
        'text-anchor="end">validation</text>'
        "</svg>"
    )


def _incremental_markdown(scores: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {label} / {part} | {s[part]['contains']:.3f} | {s[part]['f1']:.3f} | {s[part]['n']} |"
        for label, s in scores.items()
        for part in ("new", "old")
    )
    return f"""## Evaluation (incremental update)
The adapter before and after this update, greedy answers scored on held-out phrasings of the
changed facts ("new") and on the first questions of the original test split ("old": what an
incremental update may make the adapter forget).

| adapter / facts | contains gold | token F1 | questions |
|---|---|---|---|
{rows}"""


def _evaluation_markdown(evaluation: dict[str, Any] | None) -> str:
    if not evaluation:
        return "## Evaluation\nNot run (`--evaluate 0`)."
    if "incremental" in evaluation:
        return _incremental_markdown(evaluation["incremental"])
    rows = []
    for split, label in (
        ("test", "test split (held-out phrasings)"),
        ("general", "general knowledge"),
    ):
        for name, m in evaluation.get(split, {}).items():
            rows.append(
                f"| {label} | {name} | {m['exact_match']:.3f} | {m['f1']:.3f} | "
                f"{m['contains']:.3f} | {m['n']} |"
            )
    table = "\n".join(rows)
    return f"""## Evaluation
Greedy answers (at most 32 new tokens), scored with SQuAD-style normalisation; "contains" means
the gold answer occurs in the reply. The general-knowledge set holds questions the base model
answers correctly, so the trained model's drop there is forgetting.

| set | model | exact match | token F1 | contains gold | questions |
|---|---|---|---|---|---|
{table}

**Forgetting delta** (trained minus base, contains-gold on the general set):
{evaluation["forgetting_delta"]:+.3f}. Evaluation took {evaluation["eval_s"]} s."""


def _comparison(args: TrainArgs, config: Config, out: Path, run: dict[str, Any]) -> str:
    """For full retraining: the same measurements of the LoRA adapter the app serves beside it."""
    from training.compare import comparison_table

    if args.method != "full":
        return ""
    lora = read_run(config.adapter)
    table = comparison_table({"LoRA": (config.adapter, lora), "full retraining": (out, run)})
    return f"""## Compared with the LoRA adapter
Both trained by the same script on the same data and splits; the LoRA numbers are from its own
card ({lora.get("hardware", "hardware unknown")}).

{table}
"""


def hardware() -> str:
    import torch

    if torch.cuda.is_available():
        return f"GPU {torch.cuda.get_device_name(0)}"
    cpu = platform.processor() or platform.machine()
    return f"CPU {cpu}, {os.cpu_count()} cores, torch {torch.__version__}"


def write_card(
    args: TrainArgs,
    result: TrainResult,
    config: Config,
    evaluation: dict[str, Any] | None = None,
) -> Path:
    """Write README.md, loss_curve.svg and run.json into the adapter folder; return the card."""
    out = result.output_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "loss_curve.svg").write_text(loss_curve_svg(result.log_rows))
    files = Documents(config).files()  # what the app serves now, own edits included
    run = _run_record(args, result, config, files, evaluation)
    (out / RUN_FILE).write_text(json.dumps(run, indent=2))
    params = "\n".join(f"| {k} | {v} |" for k, v in vars(args).items())
    card = out / "README.md"
    card.write_text(
        f"""{_header(args, result, config, run, len(files))}

{_training_markdown(args, result)}

{_evaluation_markdown(evaluation)}

{_comparison(args, config, out, run)}
## Hyper-parameters
| name | value |
|---|---|
{params}
"""
    )
    return card


def _run_record(
    args: TrainArgs,
    result: TrainResult,
    config: Config,
    files: list[CorpusFile],
    evaluation: dict[str, Any] | None,
) -> dict[str, Any]:
    """What run.json records: when, on which documents and hardware, at what cost, with what
    result (training/runs.py reads it back)."""
    return {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus_hash": corpus_hash(files),
        "documents": document_hashes(files),
        "base_model": Path(config.model).name,
        "hardware": hardware(),
        "method": args.method,
        "wall_s": round(result.wall_s, 1),
        "peak_rss_mb": result.peak_rss_mb,
        "saved_bytes": result.saved_bytes,
        "trainable_params": result.trainable_params,
        "sizes": result.sizes,
        "best_epoch": result.best_epoch,
        "best_val_loss": round(result.best_val_loss, 4),
        "args": vars(args),
        "evaluation": evaluation or {},
    }


def _header(
    args: TrainArgs, result: TrainResult, config: Config, run: dict[str, Any], documents: int
) -> str:
    """The front matter the Hub reads, then what was trained, how, where and at what cost."""
    what = WHAT[args.method].format(base=run["base_model"])
    return f"""---
library_name: {"peft" if args.method == "lora" else "transformers"}
base_model: {base_model_id(config)}
license: apache-2.0
---
# {args.name}

{what}, trained by `{_train_command(args)}` on {DATA[args.task]} about the
documents in `corpus/` (see `{QA_DIR}/`). Trained {run["trained_at"]} on
{run["hardware"]} in {run["wall_s"]} s; {result.trainable_params:,} trainable parameters;
peak memory of the training process {result.peak_rss_mb:,.0f} MB; weights on disk
{result.saved_bytes / 1e6:,.1f} MB.

Corpus snapshot (content hash): `{run["corpus_hash"]}` ({documents} documents)"""


def _train_command(args: TrainArgs) -> str:
    """The command that trains by `args.method` for `args.task`."""
    task = f" --task {args.task}" if args.task != "recall" else ""
    return f"{TRAIN} --method {args.method}{task}"


def _reading_note(args: TrainArgs, result: TrainResult) -> str:
    """For --task read: the share of contexts that hold distractors only, asked and measured."""
    if args.task != "read":
        return ""
    train, absent = result.sizes["train"], result.sizes["train (no answer in context)"]
    return (
        f"\nTask: read. No-answer share asked {args.no_answer_share:.2f}, measured on the training"
        f" split {absent / max(train, 1):.3f} ({absent} of {train} contexts hold distractors only"
        f" and are answered: {NOT_FOUND}).\n"
    )


def _training_markdown(args: TrainArgs, result: TrainResult) -> str:
    """The data sizes, the early stopping, and the loss per epoch."""
    losses = "\n".join(
        f"| {r['epoch']} | {r['step']} | {r['train_loss']:.4f} | {r['val_loss']:.4f} "
        f"| {r['elapsed_s']:.0f} |"
        for r in result.log_rows
    )
    sizes = "\n".join(f"| {name} | {count} |" for name, count in result.sizes.items())
    return f"""## Data
| split | examples |
|---|---|
{sizes}
{_reading_note(args, result)}
Loss is computed on answer tokens only. Validation loss is measured every epoch; the weights of
the best epoch ({result.best_epoch}, validation loss {result.best_val_loss:.4f}) are what is saved;
training stops after {args.patience} epochs without improvement.

## Loss curves
![train and validation loss](loss_curve.svg)

| epoch | step | train loss | validation loss | elapsed s |
|---|---|---|---|---|
{losses}"""
