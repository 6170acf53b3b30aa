"""Write evaluation results: every answer as JSON and CSV, the summary as JSON, the HTML report."""

from __future__ import annotations

import csv
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from common.config import Config
from common.files import time_stamp
from documents.store import Documents
from evaluation.grounded import IndexOf, check_agreement, ground_all
from evaluation.report import render_report
from evaluation.run import Progress, Record, evaluate, summarize
from evaluation.significance import compare_pipelines
from pipelines.core import Pipeline

RUNS = "eval-runs"  # under the data folder: one folder per evaluation run


def write_outputs(
    out: Path, records: Sequence[Record], summary: dict[str, dict[str, Any]], meta: dict[str, Any]
) -> dict[str, Path]:
    """answers.json, answers.csv, summary.json (with the paired tests between columns under
    "significance", the evidence check against gold under "grounding_check") and report.html
    under `out`; returns their paths."""
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
    comparisons = compare_pipelines(records)
    saved = {
        "meta": meta,
        "pipelines": summary,
        "significance": [asdict(c) for c in comparisons],
        "grounding_check": check_agreement(records),
    }
    paths["summary_json"].write_text(json.dumps(saved, indent=2))
    paths["report_html"] = out / "report.html"
    paths["report_html"].write_text(
        render_report(records, summary, meta, comparisons), encoding="utf-8"
    )
    return paths


def describe_documents(documents: Documents, index: str = "the index") -> str:
    """What the columns were asked against, in words and without a server path: `index` and
    its documents by origin, e.g. "the app's index: 9 documents (5 as shipped in the corpus
    folder “corpus”, 3 edited in the app, 1 uploaded)"."""
    origins = Counter(info.origin for info in documents.listing())
    total = sum(origins.values())
    folder = f"the corpus folder “{documents.corpus.name}”"
    head = f"{index}: {total} document{'' if total == 1 else 's'}"
    if origins["corpus"] == total:
        return f"{head}, as shipped in {folder}"
    parts = [
        f"{origins['corpus']} as shipped in {folder}" if origins["corpus"] else "",
        f"{origins['edited']} edited in the app" if origins["edited"] else "",
        f"{origins['uploaded']} uploaded" if origins["uploaded"] else "",
    ]
    return f"{head} ({', '.join(p for p in parts if p)})"


def run_and_write(
    pipelines: Sequence[Pipeline],
    items: Sequence[dict[str, Any]],
    config: Config,
    out: Path | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    documents: str | None = None,
    index: IndexOf | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Path]]:
    """Evaluate, then write every output (by default to a new folder under the data folder's
    eval-runs/); returns the summary and the written paths. `documents` says in the report
    what was evaluated (default: `describe_documents` of `config`'s documents); `index` gives
    their index for the evidence check once every answer is in (None: no check)."""
    out = out or config.data_path / RUNS / time_stamp()
    evaluated = documents or describe_documents(Documents(config))  # as the run starts
    started = time.perf_counter()
    records = evaluate(pipelines, items, progress=progress, stop=stop)
    records, checked = ground_all(records, index, stop)
    summary = summarize(records, config.price_input_per_m)
    meta = {
        "questions": len({r.id for r in records}),
        "of": len(items),
        "evaluated against": evaluated,
        "model": Path(config.model).name,
        "wall_s": round(time.perf_counter() - started, 1),
        "evidence check": checked,
        "prices per M tokens": f"{config.price_input_per_m} in / {config.price_output_per_m} out "
        f"{config.currency}",
    }
    return summary, write_outputs(out, records, summary, meta)
