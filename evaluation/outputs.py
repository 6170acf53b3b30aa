"""Write evaluation results: every answer as JSON and CSV, the summary as JSON, the HTML report."""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from common.config import Config
from common.files import time_stamp
from evaluation.report import render_report
from evaluation.run import Progress, Record, evaluate, summarize
from pipelines.core import Pipeline

RUNS = "eval-runs"  # under the data folder: one folder per evaluation run


def write_outputs(
    out: Path, records: Sequence[Record], summary: dict[str, dict[str, Any]], meta: dict[str, Any]
) -> dict[str, Path]:
    """answers.json, answers.csv, summary.json and report.html under `out`; returns their paths."""
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
    paths["report_html"] = out / "report.html"
    paths["report_html"].write_text(render_report(records, summary, meta), encoding="utf-8")
    return paths


def run_and_write(
    pipelines: Sequence[Pipeline],
    items: Sequence[dict[str, Any]],
    config: Config,
    out: Path | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    corpus: str | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Path]]:
    """Evaluate, then write every output (by default to a new folder under the data folder's
    eval-runs/); returns the summary and the written paths. `corpus` names the documents in
    the report (default: the corpus folder)."""
    out = out or config.data_path / RUNS / time_stamp()
    started = time.perf_counter()
    records = evaluate(pipelines, items, progress=progress, stop=stop)
    summary = summarize(records, config.price_input_per_m)
    meta = {
        "questions": len({r.id for r in records}),
        "of": len(items),
        "corpus": corpus or config.corpus_dir,
        "model": Path(config.model).name,
        "wall_s": round(time.perf_counter() - started, 1),
        "prices per M tokens": f"{config.price_input_per_m} in / {config.price_output_per_m} out "
        f"{config.currency}",
    }
    return summary, write_outputs(out, records, summary, meta)
