"""The Explainer tab: RAG vs retraining vs fine-tuning, each point tied to a number this app
measured (the adapter's training record, the latest evaluation, this conversation, the index)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from common.commands import TRAIN_FULL
from common.config import Config
from documents.chunks import CorpusFile
from documents.index import index_dir
from pipelines.core import Answer
from training.compare import comparison_table
from training.runs import read_run, staleness
from ui.cost_model import (
    context_overhead,
    latest_evaluation_file,
    usage_from_evaluation,
    usage_of,
)
from ui.quality_table import NOT_YET, pct, quality_table
from ui.transcript import Turn

Files = Callable[[], list[CorpusFile]]  # the current documents
Served = Callable[[], Config]  # the config with the weights served now


def build_explainer_tab(
    turns: gr.State, config: Config, files: Files, served: Served | None = None
) -> None:
    """`served()` is the config with the weights served now (after refreshes), if it differs."""
    with gr.Tab("Explainer") as tab:
        body = gr.Markdown(NOT_YET, elem_id="explainer")
    current = served or (lambda: config)
    tab.select(lambda t: explainer(facts(config, files, t, current())), turns, body)


def facts(
    config: Config, files: Files, turns: list[Turn], served: Config | None = None
) -> dict[str, Any]:
    """Every number the explainer quotes, measured or read from measured records."""
    run = read_run(config.adapter)
    current = files()
    answers = [a for turn in turns for a in turn.answers.values()]
    usage = usage_of(answers) or usage_from_evaluation(config.data_path)[0]
    searched = [t for t in turns if any(_searched(a) for a in t.answers.values())]
    retrieval = [a.retrieval_s for t in searched for a in t.answers.values() if _searched(a)]
    evaluation = run.get("evaluation", {})
    latest, eval_run = latest_evaluation_file(config.data_path)
    full = full_training(config, served or config)
    full_run = full[1]
    return {
        "run": run,
        "stale": staleness(run, current),
        "documents": len(current),
        "overhead": context_overhead(usage),
        "retrieval_ms": statistics.median(retrieval) * 1000 if retrieval else None,
        # answers that ran at once while those searches did (every column answers together)
        "retrieval_load": max((len(t.answers) for t in searched), default=0),
        "latest_eval": latest.get("pipelines", {}),
        "eval_meta": {**latest.get("meta", {}), "run": eval_run},
        "runs": {"lora": run, "reader": read_run(config.reader_adapter), "full": full_run},
        "forgetting": evaluation.get("forgetting_delta"),
        "general": evaluation.get("general", {}),
        "adapter_mb": _size_mb(Path(config.adapter)),
        "index_mb": _size_mb(index_dir(config)),
        "methods": methods_table(config, served or config, run, full),
    }


def _searched(answer: Answer) -> bool:
    return answer.retrieval_s is not None and answer.done


def full_training(config: Config, served: Config) -> tuple[Path, dict[str, Any]]:
    """The full retraining's own run record: beside APP_RETRAINED, else beside the weights an
    update served now was trained from (its record's "refresh"/"from"); ({folder}, {}) if
    neither holds one."""
    folder = config.retrained_path
    if run := read_run(folder):
        return folder, run
    origin = read_run(served.retrained_path).get("refresh", {}).get("from")
    if origin and (run := read_run(origin)):
        return Path(origin), run
    return folder, {}


def methods_table(
    config: Config, served: Config, lora_run: dict[str, Any], full: tuple[Path, dict[str, Any]]
) -> str:
    """LoRA vs full retraining as trained (APP_ADAPTER, whose record is `lora_run`, and `full`
    from `full_training`), with their latest incremental updates (the refreshed weights served
    now) where there are any. Without a full run record the table has the LoRA column only, and a
    line says where the record was looked for."""
    trained = {"LoRA": (config.adapter, lora_run)}
    if full[1]:
        trained["full retraining"] = full
    folders = {"LoRA": served.adapter, "full retraining": served.retrained_path}
    updated = {
        name: (folders[name], read_run(folders[name]))
        for name in trained
        if str(folders[name]) != str(trained[name][0])
    }
    table = comparison_table(trained, updated)
    if not full[1]:
        table += (
            f"\n\n**Full retraining has no run record on this server** (none at "
            f"{config.shown_path(full[0])}, `APP_RETRAINED`): train it with `{TRAIN_FULL}` or "
            "the Documents tab, and its measurements join this table. The figures measured "
            "when the project was built are in docs/training.md."
        )
    return table


def explainer(f: dict[str, Any]) -> str:
    run, stale = f["run"], f["stale"]
    return "\n\n".join(
        [
            "## RAG, retraining or fine-tuning?",
            "**RAG** looks passages up at question time and hands them to the unchanged model. "
            "**Retraining** updates all of the model's weights on new data. **Fine-tuning** "
            "(here LoRA) trains a small add-on to adapt the model to a task or a body of facts.",
            "### Knowledge freshness\nRAG answers from the current documents at once; trained "
            f"weights know what they were trained on. Now: {_freshness(stale, f['documents'])}",
            "### Compute cost\nRAG needs no training but pays for context on every question: "
            f"{_num(f['overhead'], '{:.0f} extra prompt tokens per question')} in this app. "
            f"The LoRA adapter took {_num(run.get('wall_s'), '{:.0f} s')} to train "
            f"({run.get('hardware', 'hardware unknown')}, "
            f"{_num(run.get('trainable_params'), '{:,} trainable parameters')}). Full retraining "
            "updates every parameter: its cost is in the table below (prices: Costs tab).",
            "### LoRA vs full retraining, measured\nThe same script, data and splits train "
            "both; full retraining updates every weight, LoRA a small add-on beside frozen "
            f"weights.\n\n{f['methods']}",
            "### Overfitting and forgetting\nTraining needs a validation split and a check that "
            f"old skills survive. Validation set: {_num(run.get('sizes', {}).get('validation'))} "
            f"questions; best epoch {_num(run.get('best_epoch'))} of "
            f"{_num(run.get('args', {}).get('epochs'))} (validation loss "
            f"{_num(run.get('best_val_loss'))}). General-knowledge questions answered: base "
            f"{pct(f['general'].get('base', {}).get('contains'))}, LoRA "
            f"{pct(f['general'].get('lora', {}).get('contains'))} — a forgetting delta of "
            f"**{_num(f['forgetting'], '{:+.2f}')}**.",
            "### Retrieval latency and data quality\nRAG adds a search to every question "
            f"({_latency(f)}) and is only as good as what it finds: {_eval_line(f['latest_eval'])}",
            "### Integration complexity\nRAG runs an embedder and a vector index "
            f"({_num(f['index_mb'], '{:.1f} MB on disk')}) that must be kept in step with the "
            "documents; fine-tuning needs a training pipeline, question/answer data and an "
            f"adapter to ship ({_num(f['adapter_mb'], '{:.1f} MB')}) and retrain.",
            "### Quality on held-out questions\nThe same test questions (paraphrases of trained "
            "facts, and questions no document answers) asked of every column.\n\n"
            + quality_table(f["latest_eval"], f["eval_meta"], f["runs"]),
        ]
    )


def _latency(f: dict[str, Any]) -> str:
    """The search's median time, and whether it was measured under load: in a conversation
    every column answers at once, while an evaluation asks one column at a time."""
    parts = []
    if f["retrieval_ms"] is not None:
        load = f["retrieval_load"]
        under = (
            f", measured under load: up to {load} answers running at once"
            if load > 1
            else ", one answer at a time"
        )
        parts.append(f"{f['retrieval_ms']:.0f} ms median in this conversation{under}")
    evaluated = f["latest_eval"].get("rag", {}).get("retrieval_p50_s")
    if evaluated is not None:
        parts.append(
            f"{evaluated * 1000:.0f} ms median in the latest evaluation, one answer at a time"
        )
    return "; ".join(parts) or NOT_YET


def _freshness(stale: Any, total: int) -> str:
    if not stale.trained_at:
        return "the adapter has no training record."
    if not stale.known:
        return f"the adapter was trained {stale.trained_at[:10]}; its record lists no documents."
    return (
        f"the adapter was trained {stale.trained_at[:10]}; **{stale.count} of {total} documents "
        "changed since** — RAG already uses them, the adapter does not until retrained."
    )


def _eval_line(summary: dict[str, Any]) -> str:
    rag = summary.get("rag", {})
    if rag.get("recall_at_k") is None:
        return "run an evaluation (Evaluate tab) to measure retrieval recall."
    return (
        f"the latest evaluation found the right document in the top passages for "
        f"{pct(rag['recall_at_k'])} of questions, and the passages held the answer for "
        f"{pct(rag.get('passages_hold_answer'))}."
    )


def _size_mb(path: Path) -> float | None:
    if not path.exists():
        return None
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _num(value: Any, fmt: str = "{}") -> str:
    return NOT_YET if value is None else fmt.format(value)
