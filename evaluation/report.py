"""One self-contained HTML page for an evaluation run: the summary table, plots drawn as inline
SVG (no scripts, no downloads) and the worst answers of each pipeline."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from evaluation.grounded import agreement_line, check_agreement
from evaluation.run import Record
from evaluation.significance import Comparison, compare_pipelines, significance_html

COLUMNS = [
    ("contains", "contains", "{:.3f}"),
    ("exact_match", "EM", "{:.3f}"),
    ("f1", "F1", "{:.3f}"),
    ("abstention_rate", "abstain", "{:.2f}"),
    ("false_abstention_rate", "false abst.", "{:.2f}"),
    ("recall_at_1", "recall@1", "{:.2f}"),
    ("recall_at_3", "recall@3", "{:.2f}"),
    ("recall_at_k", "recall@k", "{:.2f}"),
    ("mrr", "MRR", "{:.2f}"),
    ("passages_hold_answer", "passages hold answer", "{:.2f}"),
    ("evidence_holds_answer", "evidence holds answer", "{:.2f}"),
    ("reading_failures", "wrong: reading", "{:.2f}"),
    ("retrieval_failures", "wrong: retrieval", "{:.2f}"),
    ("grounded", "values supported", "{:.2f}"),
    ("contradicted", "values contradicted", "{:.2f}"),
    ("answers_with_values", "answers with values", "{:.0f}"),
    ("latency_p50_s", "p50 s", "{:.2f}"),
    ("latency_p95_s", "p95 s", "{:.2f}"),
    ("first_token_p50_s", "TTFT s", "{:.2f}"),
    ("tokens_per_s", "tok/s", "{:.1f}"),
    ("prompt_tokens", "prompt tok", "{:.0f}"),
    ("completion_tokens", "compl. tok", "{:.0f}"),
    ("context_overhead_tokens", "ctx overhead", "{:.0f}"),
    ("cost_per_1000", "cost/1000", "{:.4f}"),
    ("context_overhead_cost_per_1000", "ctx cost/1000", "{:.4f}"),
]


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


PALETTE = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b"]
NOTHING_HELD = "no column's answer held the gold answer"
# (metric, title, why every column at 0 leaves nothing to draw)
BARS = [
    ("contains", "Contains gold answer (higher is better)", NOTHING_HELD),
    ("f1", "Token F1 (higher is better)", "no answer shared a word with the gold answer"),
    ("latency_p50_s", "Latency p50, seconds (lower is better)", "no time was measured"),
    ("cost_per_1000", "Cost per 1,000 answers (lower is better)", "the prices per token are 0"),
]


def _no_plot(title: str, reason: str) -> str:
    """Said in words where a plot would draw nothing (an empty plot reads as a broken one)."""
    return (
        '<div class="no-plot" role="note" style="width:400px;max-width:100%;box-sizing:border-box;'
        'padding:8px 10px;border:1px dashed #999;border-radius:4px;font-size:13px">'
        f"<strong>{html.escape(title)}</strong><p>Nothing to draw: {html.escape(reason)}.</p>"
        "</div>"
    )


def _empty_reason(values: dict[str, float | None], zero_reason: str) -> str | None:
    """Why a bar chart of `values` would be empty (no value, or every value 0), else None."""
    known = [v for v in values.values() if v is not None]
    if not known:
        return "no answerable question was asked"
    if not any(known):
        return f"every column scored 0 ({zero_reason})"
    return None


def _bar_chart(
    title: str, values: dict[str, float | None], zero_reason: str, width: int = 420
) -> str:
    reason = _empty_reason(values, zero_reason)
    if reason:
        return _no_plot(title, reason)
    top = max(v for v in values.values() if v is not None)
    rows = []
    for i, (name, value) in enumerate(values.items()):
        y = 30 + i * 28
        bar = 0 if value is None else (width - 170) * value / top
        label = "–" if value is None else f"{value:.3g}"
        rows.append(
            f'<text x="0" y="{y + 14}" font-size="12">{html.escape(name)}</text>'
            f'<rect x="80" y="{y}" width="{bar:.1f}" height="18" fill="{PALETTE[i % 6]}"/>'
            f'<text x="{84 + bar:.1f}" y="{y + 14}" font-size="12">{label}</text>'
        )
    height = 40 + 28 * len(values)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
        f'<text x="0" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>'
        f"{''.join(rows)}</svg>"
    )


def _tradeoff_chart(summary: dict[str, dict[str, Any]], size: int = 420) -> str:
    """Quality (contains) against latency p50; the circle's area grows with cost per answer."""
    title = "Quality vs latency (circle area: cost per answer)"
    points = {n: m for n, m in summary.items() if m.get("latency_p50_s") is not None}
    reason = _empty_reason({n: m.get("contains") for n, m in points.items()}, NOTHING_HELD)
    if reason:  # every point on the latency axis: no trade-off to see
        return _no_plot(title, reason)
    pad = 50
    max_x = max((m["latency_p50_s"] for m in points.values()), default=1.0) * 1.15 or 1.0
    max_cost = max((m.get("cost_per_answer") or 0 for m in points.values()), default=0) or 1.0
    marks = []
    for i, (name, m) in enumerate(points.items()):
        x = pad + (size - 2 * pad) * m["latency_p50_s"] / max_x
        y = size - pad - (size - 2 * pad) * (m.get("contains") or 0)
        r = 6 + 14 * ((m.get("cost_per_answer") or 0) / max_cost) ** 0.5
        marks.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{PALETTE[i % 6]}" '
            f'fill-opacity="0.6"/><text x="{x + r + 3:.1f}" y="{y + 4:.1f}" font-size="12">'
            f"{html.escape(name)}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img">'
        f'<text x="0" y="16" font-size="13" font-weight="bold">{title}</text>'
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{size - pad}" stroke="#444"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{size - pad}" stroke="#444"/>'
        f'<text x="{size - pad}" y="{size - pad + 30}" font-size="12" text-anchor="end">'
        f"latency p50 (s), axis to {max_x:.2f}</text>"
        f'<text x="{pad - 8}" y="{pad - 8}" font-size="12">contains gold (0–1)</text>'
        f"{''.join(marks)}</svg>"
    )


# Inline, so the rule holds wherever the table lands (the Gradio page's prose styles break
# words anywhere): headers wrap between words only, figures never wrap, and a table wider
# than the page scrolls sideways instead of squeezing its columns.
_PAD = "padding:4px 6px;font-size:13px;"
_HEAD_STYLE = _PAD + "white-space:normal;word-break:normal;overflow-wrap:normal;hyphens:manual"
_CELL_STYLE = _PAD + "white-space:nowrap"


def _head(label: str) -> str:
    # each word unbreakable: "tok/s" or "cost/1000" could otherwise break after the slash
    words = " ".join(
        f'<span style="white-space:nowrap">{html.escape(w)}</span>' for w in label.split()
    )
    return f'<th style="{_HEAD_STYLE}">{words}</th>'


def summary_html(summary: dict[str, dict[str, Any]]) -> str:
    """The summary as an HTML table, one row per pipeline; '–' where a metric does not apply."""
    head = _head("pipeline") + "".join(_head(label) for _, label, _ in COLUMNS)
    body = []
    for name, m in summary.items():
        cells = "".join(
            f'<td style="{_CELL_STYLE}">{"–" if m.get(k) is None else fmt.format(m[k])}</td>'
            for k, _, fmt in COLUMNS
        )
        body.append(f'<tr><th style="{_CELL_STYLE}">{html.escape(name)}</th>{cells}</tr>')
    return (
        '<div class="summary-table" style="overflow-x:auto">'
        f"<table><tr>{head}</tr>{''.join(body)}</table></div>"
    )


_TYPE_HEADERS = ("pipeline", "type", "questions", "contains", "declined", "prompt tok")


def _type_rows(summary: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Per pipeline and question type: questions, contains-gold (answerable types) or declined
    (unanswerable), and mean prompt tokens, as formatted cells."""
    return [
        [
            name,
            kind,
            str(row["questions"]),
            "–" if row["contains"] is None else f"{row['contains']:.2f}",
            f"{row['declined']:.2f}",
            f"{row['prompt_tokens']:.0f}",
        ]
        for name, metrics in summary.items()
        for kind, row in (metrics.get("by_type") or {}).items()
    ]


def type_table(summary: dict[str, dict[str, Any]]) -> str:
    """The per-type figures as a Markdown table."""
    lines = [_TYPE_HEADERS, *_type_rows(summary)]
    text = ["| " + " | ".join(cells) + " |" for cells in lines]
    return "\n".join([text[0], "|---" * len(_TYPE_HEADERS) + "|", *text[1:]])


def _type_html(summary: dict[str, dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _TYPE_HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in _type_rows(summary)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _worst(records: Sequence[Record], per_pipeline: int = 5) -> str:
    parts = []
    for name in dict.fromkeys(r.pipeline for r in records):
        rows = sorted(
            (r for r in records if r.pipeline == name and r.answerable),
            key=lambda r: (r.error is None, r.f1, r.contains),
        )[:per_pipeline]
        lines = "".join(
            f"<tr><td>{html.escape(r.question)}</td><td>{html.escape(' | '.join(r.answers))}</td>"
            f"<td>{html.escape(r.error or r.text)}</td><td>{r.f1:.2f}</td></tr>"
            for r in rows
        )
        parts.append(
            f"<h3>{html.escape(name)}</h3><table><tr><th>question</th><th>gold</th>"
            f"<th>answer</th><th>F1</th></tr>{lines}</table>"
        )
    return "".join(parts)


def plots_html(summary: dict[str, dict[str, Any]]) -> str:
    """The trade-off plot and the per-metric bars, as inline SVG; a note in words in place of
    a plot that would draw nothing."""
    bars = "".join(
        _bar_chart(title, {n: m.get(key) for n, m in summary.items()}, zero)
        for key, title, zero in BARS
    )
    return (
        '<div class="plots" style="display:flex;flex-wrap:wrap;gap:24px">'
        f"{_tradeoff_chart(summary)}{bars}</div>"
    )


def render_report(
    records: Sequence[Record],
    summary: dict[str, dict[str, Any]],
    meta: dict[str, Any],
    comparisons: Sequence[Comparison] | None = None,
) -> str:
    """The whole page; `comparisons` default to `compare_pipelines(records)`."""
    if comparisons is None:
        comparisons = compare_pipelines(records)
    facts = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in meta.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
</style></head><body>
<h1>RAG vs fine-tuning: evaluation report</h1>
<ul>{facts}</ul>
<h2>Summary</h2>{summary_html(summary)}
<p class="grounding-check">{html.escape(agreement_line(check_agreement(records)))}</p>
<h2>By question type</h2>{_type_html(summary)}
<h2>Differences between columns: paired tests</h2>{significance_html(comparisons)}
<h2>Trade-offs</h2>{plots_html(summary)}
<h2>Worst answers per pipeline</h2>{_worst(records)}
</body></html>
"""
