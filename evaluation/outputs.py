"""Write evaluation results: every answer as JSON and CSV, the summary as JSON and a text table."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evaluation.run import Record

COLUMNS = [
    ("contains", "contains", "{:.3f}"),
    ("exact_match", "EM", "{:.3f}"),
    ("f1", "F1", "{:.3f}"),
    ("abstention_rate", "abstain", "{:.2f}"),
    ("false_abstention_rate", "false abst.", "{:.2f}"),
    ("recall_at_k", "recall@k", "{:.2f}"),
    ("mrr", "MRR", "{:.2f}"),
    ("latency_p50_s", "p50 s", "{:.2f}"),
    ("latency_p95_s", "p95 s", "{:.2f}"),
    ("first_token_p50_s", "TTFT s", "{:.2f}"),
    ("tokens_per_s", "tok/s", "{:.1f}"),
    ("prompt_tokens", "prompt tok", "{:.0f}"),
    ("completion_tokens", "compl. tok", "{:.0f}"),
    ("context_overhead_tokens", "ctx overhead", "{:.0f}"),
    ("cost_per_1000", "cost/1000", "{:.4f}"),
]


def write_outputs(
    out: Path, records: Sequence[Record], summary: dict[str, dict[str, Any]], meta: dict[str, Any]
) -> dict[str, Path]:
    """answers.json, answers.csv and summary.json under `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [asdict(r) for r in records]
    paths = {
        "answers_json": out / "answers.json",
        "answers_csv": out / "answers.csv",
        "summary_json": out / "summary.json",
    }
    paths["answers_json"].write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    with paths["answers_csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["pipeline"])
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()}
            )
    paths["summary_json"].write_text(json.dumps({"meta": meta, "pipelines": summary}, indent=2))
    return paths


def summary_table(summary: dict[str, dict[str, Any]]) -> str:
    """A Markdown table, one row per pipeline; '–' where a metric does not apply."""
    head = "| pipeline | " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    rule = "|---" * (len(COLUMNS) + 1) + "|"
    lines = [head, rule]
    for name, metrics in summary.items():
        cells = [
            "–" if metrics.get(key) is None else fmt.format(metrics[key]) for key, _, fmt in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
