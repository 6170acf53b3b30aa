"""LoRA vs full retraining side by side, from their run records (run.json): what each cost to
train and what it bought. Shown in the full run's card and in the Explainer tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.files import safetensors_files

MISSING = "—"


def weights_mb(folder: str | Path, run: dict[str, Any]) -> float | None:
    """Size on disk of the trained weights: from the record, else measured in the folder."""
    if run.get("saved_bytes"):
        return run["saved_bytes"] / 1e6
    files = safetensors_files(Path(folder))
    return sum(f.stat().st_size for f in files) / 1e6 if files else None


def _test(run: dict[str, Any], key: str) -> float | None:
    scores = run.get("evaluation", {}).get("test", {}).get(run.get("method", "lora"), {})
    return scores.get(key)


def _incremental(run: dict[str, Any], part: str) -> str:
    scores = run.get("evaluation", {}).get("incremental")
    if not scores:
        return MISSING
    return f"{scores['before'][part]['contains']:.1%} → {scores['after'][part]['contains']:.1%}"


ROWS: list[tuple[str, Any]] = [
    ("training wall time", lambda r, f: _fmt(r.get("wall_s"), "{:,.0f} s")),
    ("peak memory of the training process", lambda r, f: _fmt(r.get("peak_rss_mb"), "{:,.0f} MB")),
    ("trainable parameters", lambda r, f: _fmt(r.get("trainable_params"), "{:,}")),
    ("trained weights on disk", lambda r, f: _fmt(weights_mb(f, r), "{:,.1f} MB")),
    ("best validation loss", lambda r, f: _fmt(r.get("best_val_loss"), "{:.4f}")),
    ("test exact match", lambda r, f: _fmt(_test(r, "exact_match"), "{:.1%}")),
    ("test token F1", lambda r, f: _fmt(_test(r, "f1"), "{:.3f}")),
    ("test answers containing the gold answer", lambda r, f: _fmt(_test(r, "contains"), "{:.1%}")),
    (
        "forgetting delta (general knowledge, trained − base)",
        lambda r, f: _fmt(r.get("evaluation", {}).get("forgetting_delta"), "{:+.3f}"),
    ),
]
INCREMENTAL: list[tuple[str, Any]] = [
    ("incremental update: changed facts answered", lambda r, f: _incremental(r, "new")),
    ("incremental update: old test questions answered", lambda r, f: _incremental(r, "old")),
]


def _fmt(value: Any, pattern: str) -> str:
    return MISSING if value is None else pattern.format(value)


def comparison_table(
    trained: dict[str, tuple[str | Path, dict[str, Any]]],
    updated: dict[str, tuple[str | Path, dict[str, Any]]] | None = None,
) -> str:
    """A Markdown table, one column per method ("LoRA": (folder, run), ...). `updated` holds
    each method's latest incremental update, if any, for the forgetting-by-update rows."""
    names = list(trained)
    lines = [
        "| measured | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for rows, runs in ((ROWS, trained), (INCREMENTAL if updated else [], updated or {})):
        for label, value in rows:
            cells = []
            for name in names:
                folder, run = runs.get(name, ("", {}))
                cells.append(value(run, folder) if run else MISSING)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
