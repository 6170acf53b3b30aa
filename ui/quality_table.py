"""The Explainer's five-way table: base, RAG, LoRA (recall), RAG + reader and Retrained on the
same held-out questions (the latest evaluation), beside what each cost to train and what it forgot
(their training run records)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

NOT_YET = "*not measured yet*"
# column title -> (its pipeline name in an evaluation, the key of its training run record in
# `runs`; None: it keeps the base weights and trains nothing)
COLUMNS = {
    "base": ("base", None),
    "RAG": ("rag", None),
    "LoRA (recall)": ("lora", "lora"),
    "RAG + reader": ("rag_lora", "reader"),
    "Retrained": ("retrained", "full"),
}
# the trained weights' test answers in a run record, under the method's name
RECORD_METHOD = {"lora": "lora", "reader": "lora", "full": "full"}
FROM_RECORD = "†"


def quality_table(
    latest: Mapping[str, Any], meta: Mapping[str, Any], runs: Mapping[str, Any]
) -> str:
    """The table and a line saying where its numbers come from. `latest`: the latest
    evaluation's metrics per pipeline; `meta`: its meta (run, questions); `runs`: the run
    records of "lora", "reader" and "full" (empty dicts where there is none)."""
    rows = [
        ("answer contains the gold answer", "contains", pct),
        ("token F1", "f1", lambda v: f"{v:.3f}"),
        ("unanswerable questions declined", "abstention_rate", pct),
        ("answerable questions wrongly declined", "false_abstention_rate", pct),
        ("prompt tokens per answer (mean)", "prompt_tokens", lambda v: f"{v:.0f}"),
    ]
    lines = ["| | " + " | ".join(COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for label, key, fmt in rows:
        cells = [_cell(latest, runs, column, key, fmt) for column in COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| training time | " + " | ".join(_trained(runs, c) for c in COLUMNS) + " |")
    lines.append(
        "| forgetting (general set) | " + " | ".join(_forgot(runs, c) for c in COLUMNS) + " |"
    )
    return "\n".join(lines) + "\n\n" + _where(meta)


def _cell(
    latest: Mapping[str, Any],
    runs: Mapping[str, Any],
    column: str,
    key: str,
    fmt: Callable[[float], str],
) -> str:
    """The latest evaluation's value; for contains and F1 of a trained column (or base) that the
    evaluation left out, its training record's test score, marked †."""
    pipeline, record = COLUMNS[column]
    value = latest.get(pipeline, {}).get(key)
    if value is not None:
        return fmt(value)
    if key not in ("contains", "f1") or (record is None and pipeline != "base"):
        return "–"
    test = runs.get(record or "lora", {}).get("evaluation", {}).get("test", {})
    scored = test.get(RECORD_METHOD[record] if record else "base", {}).get(key)
    return "–" if scored is None else fmt(scored) + FROM_RECORD  # a reader's record has no test


def _trained(runs: Mapping[str, Any], column: str) -> str:
    record = COLUMNS[column][1]
    if record is None:
        return "none"
    wall = runs.get(record, {}).get("wall_s")
    return f"{wall / 60:.0f} min" if wall is not None else "–"


def _forgot(runs: Mapping[str, Any], column: str) -> str:
    record = COLUMNS[column][1]
    if record is None:
        return "none (base weights)"
    delta = runs.get(record, {}).get("evaluation", {}).get("forgetting_delta")
    return f"{delta:+.2f}" if delta is not None else "–"


def _where(meta: Mapping[str, Any]) -> str:
    run = meta.get("run")
    source = (
        f"the latest evaluation ({run}, {meta.get('questions', '?')} questions asked)"
        if run
        else "no evaluation yet (Evaluate tab, or `python -m scripts.evaluate --pipelines "
        "base,rag,lora,rag_lora,retrained`)"
    )
    return (
        f"Answers: {source}; – = not in it. {FROM_RECORD} = from the weights' training record "
        "(the same test questions, without the unanswerable ones). Training time and forgetting "
        "(general-knowledge questions answered, trained − base) from the training records."
    )


def pct(value: float | None) -> str:
    return NOT_YET if value is None else f"{value:.0%}"
