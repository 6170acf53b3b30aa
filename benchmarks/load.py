"""Load on the running app: concurrent browser-less sessions asking questions through Gradio's
API (the Chat tab's /answer_all endpoint, as a browser tab would), and what they measured."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.apps import API, start_app, stop_app
from benchmarks.machine import memory_mb
from common.messages import text_of
from evaluation.metrics import percentile

log = logging.getLogger(__name__)

ERROR_MARK = "**Error:**"  # how the Chat tab shows a column's error in its chat


@dataclass(frozen=True)
class Outcome:
    """One question of one session: how long the whole answer took, or why it failed."""

    session: int
    question: str
    seconds: float
    error: str | None = None  # None: every shown column answered


def load_test(
    url: str,
    questions: Sequence[str],
    sessions: int,
    per_session: int,
    seconds: float,
    auth: tuple[str, str] | None = None,
    start: dict[str, str] | None = None,
    app_log: Path | None = None,
) -> dict[str, Any]:
    """The load test's report: `run_sessions` against `url`, or, given `start` (the APP_*
    variables), against an app started here (its output to `app_log`) whose memory is read."""
    report: dict[str, Any] = {"sessions": sessions, "per_session": per_session}
    process = None
    if start is not None:
        log.info("starting the app (its log: %s)", app_log)
        started = time.perf_counter()
        process, url = start_app(start, app_log)
        report["ready_s"] = time.perf_counter() - started
        report["ready_rss_mb"] = memory_mb(process.pid, "VmRSS:")
    try:
        log.info("%d sessions x %d questions against %s", sessions, per_session, url)
        outcomes, wall_s = run_sessions(url, questions, sessions, per_session, seconds, auth)
        if process is not None:
            report["peak_rss_mb"] = memory_mb(process.pid, "VmHWM:")
            report["end_rss_mb"] = memory_mb(process.pid, "VmRSS:")
    finally:
        if process is not None:
            stop_app(process)
    report |= summarize(outcomes, sessions * per_session, wall_s)
    report["outcomes"] = [vars(o) for o in outcomes]
    return report


def run_sessions(
    url: str,
    questions: Sequence[str],
    sessions: int,
    per_session: int,
    seconds: float,
    auth: tuple[str, str] | None = None,
) -> tuple[list[Outcome], float]:
    """`sessions` concurrent sessions, each asking `per_session` questions one after another in
    one conversation; nothing is asked after `seconds`. The outcomes and the wall time."""
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="session") as pool:
        runs = [
            pool.submit(_session, url, i, _pick(questions, i, per_session), deadline, auth)
            for i in range(sessions)
        ]
        outcomes = [outcome for run in runs for outcome in run.result()]
    return outcomes, time.perf_counter() - started


def _pick(questions: Sequence[str], session: int, count: int) -> list[str]:
    """Different questions for each session, wrapping around the list."""
    return [questions[(session * count + j) % len(questions)] for j in range(count)]


def _session(
    url: str, number: int, questions: list[str], deadline: float, auth: tuple[str, str] | None
) -> list[Outcome]:
    from gradio_client import Client

    try:
        client = Client(url, auth=auth, verbose=False)
        endpoint = client.view_api(return_format="dict", print_info=False)["named_endpoints"][API]
    except Exception as exc:  # counted, not raised: a refused session is a measured failure
        return [Outcome(number, q, 0.0, f"connect: {_message(exc)}") for q in questions]
    # The question, then the other inputs at their defaults (optional columns hidden, the
    # configured retrieval); each column's conversation is kept by the app for this client's
    # session (the client does not send it).
    defaults = [p.get("parameter_default") for p in endpoint["parameters"][1:]]
    labels = [r["label"] for r in endpoint["returns"] if r["component"] == "Chatbot"]
    histories: list[list[Any]] = [[] for _ in labels]
    outcomes = []
    for question in questions:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        started = time.perf_counter()
        job = client.submit(question, *defaults, api_name=API)
        try:
            result = job.result(timeout=remaining)
        except TimeoutError:
            job.cancel()
            error = "no answer within the --seconds limit"
            outcomes.append(Outcome(number, question, time.perf_counter() - started, error))
            break
        except Exception as exc:
            outcomes.append(Outcome(number, question, time.perf_counter() - started, _message(exc)))
            continue
        elapsed = time.perf_counter() - started
        chats = list(result[1 : 1 + len(histories)])
        error = _check(labels, histories, chats)
        outcomes.append(Outcome(number, question, elapsed, error))
        histories = chats  # the next question follows up in the same conversation
    return outcomes


def _check(labels: list[str], before: list[list[Any]], after: list[list[Any]]) -> str | None:
    """None when every column asked (the shown ones: they gained a turn) answered, and at
    least one was asked; else the first problem."""
    answered = 0
    for label, old, new in zip(labels, before, after, strict=True):
        if len(new) == len(old):
            continue  # a hidden column is not asked
        reply = text_of(new[-1]["content"]).strip() if new else ""
        if reply.startswith(ERROR_MARK):
            return f"{label}: {reply.removeprefix(ERROR_MARK).strip()}"
        if not reply or reply == "…":
            return f"{label}: empty answer"
        answered += 1
    return None if answered else "no column answered"


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def summarize(outcomes: Sequence[Outcome], planned: int, wall_s: float) -> dict[str, Any]:
    """Success rate over the planned questions, errors by message, latency of full answers."""
    good = [o.seconds for o in outcomes if o.error is None]
    errors = Counter(o.error for o in outcomes if o.error is not None)
    return {
        "planned": planned,
        "asked": len(outcomes),
        "answered": len(good),
        "success_rate": len(good) / planned if planned else 0.0,
        "errors": dict(errors.most_common()),
        "p50_s": percentile(good, 50) if good else None,
        "p95_s": percentile(good, 95) if good else None,
        "max_s": max(good) if good else None,
        "wall_s": wall_s,
        "answers_per_s": len(good) / wall_s if wall_s else 0.0,
    }


def table(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""

    def seconds(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f} s"

    rows = [
        ("sessions × questions", f"{report['sessions']} × {report['per_session']}"),
        ("answered / planned", f"{report['answered']} / {report['planned']}"),
        ("success rate", f"{report['success_rate']:.0%}"),
        ("full answer (all shown columns), p50", seconds(report["p50_s"])),
        ("full answer, p95", seconds(report["p95_s"])),
        ("answers per second", f"{report['answers_per_s']:.3f}"),
        ("wall time", seconds(report["wall_s"])),
    ]
    if "ready_rss_mb" in report:
        rows.append(("app memory when ready (RSS)", f"{report['ready_rss_mb']:.0f} MB"))
        rows.append(("app peak memory (VmHWM)", f"{report['peak_rss_mb']:.0f} MB"))
    for message, count in report["errors"].items():
        rows.append((f"error ×{count}", message.replace("|", "\\|").replace("\n", " ")))
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)
