"""Load-test the chat: concurrent browser-less sessions ask test questions through Gradio's API.

    python -m scripts.load_test --start                       # 20 sessions x 2 questions
    APP_MAX_NEW_TOKENS=48 python -m scripts.load_test --start --sessions 20 --questions 2
    python -m scripts.load_test --url http://127.0.0.1:7860/  # an app that is already running

Each session is one conversation asking its questions (from data/qa/test.jsonl) one after
another; nothing is asked after --seconds. With --start the app is started here (APP_* from the
environment, APP_DATA_DIR from --data-dir) and its peak memory is read. Prints a Markdown table
(success rate, errors by message, p50/p95 of a full answer of every shown column, answers per
second, memory) and writes it as JSON to --out (default: data folder/load-tests/<time>.json).
Exit status 1 unless every planned question was answered.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from benchmarks.load import run_sessions, start_app, stop_app, summarize, table
from benchmarks.retrieval import memory_mb
from common.config import REPO_ROOT, Config, auth_pairs
from common.logs import setup
from evaluation.run import load_questions

log = logging.getLogger("load_test")

TEST_SET = REPO_ROOT / "data" / "qa" / "test.jsonl"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (20)")
    parser.add_argument("--questions", type=int, default=2, help="questions per session (2)")
    parser.add_argument("--seconds", type=float, default=600, help="time limit of the run (600)")
    parser.add_argument("--url", default="http://127.0.0.1:7860/", help="the running app")
    parser.add_argument("--start", action="store_true", help="start the app here and use it")
    parser.add_argument("--data-dir", default="", help="APP_DATA_DIR for --start")
    parser.add_argument(
        "--auth",
        default="",
        help="user:password for an app with a login (default: APP_AUTH's first)",
    )
    parser.add_argument("--questions-file", default=str(TEST_SET), help="JSONL of questions")
    parser.add_argument("--out", default="", help="JSON report (default: data folder/load-tests)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.questions < 1 or args.seconds <= 0:
        parser.error("--sessions and --questions must be at least 1, --seconds above 0")
    return args


def main(argv: list[str] | None = None) -> None:
    setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request of every session
    args = parse(argv)
    env = {**os.environ, **({"APP_DATA_DIR": args.data_dir} if args.data_dir else {})}
    config = Config.from_env(env)
    pairs = auth_pairs(args.auth or config.auth)
    questions = [item["question"] for item in load_questions([Path(args.questions_file)])]
    report: dict = {"sessions": args.sessions, "per_session": args.questions}
    process = None
    url = args.url
    stamp = time.strftime("%Y%m%dT%H%M%S")
    if args.start:
        app_log = config.data_path / "load-tests" / f"{stamp}-app.log"
        log.info("starting the app (its log: %s)", app_log)
        started = time.perf_counter()
        process, url = start_app({"APP_DATA_DIR": config.data_dir}, app_log)
        report["ready_s"] = time.perf_counter() - started
        report["ready_rss_mb"] = memory_mb(process.pid, "VmRSS:")
    try:
        log.info("%d sessions x %d questions against %s", args.sessions, args.questions, url)
        outcomes, wall_s = run_sessions(
            url, questions, args.sessions, args.questions, args.seconds, pairs[0] if pairs else None
        )
        if process is not None:
            report["peak_rss_mb"] = memory_mb(process.pid, "VmHWM:")
            report["end_rss_mb"] = memory_mb(process.pid, "VmRSS:")
    finally:
        if process is not None:
            stop_app(process)
    report |= summarize(outcomes, args.sessions * args.questions, wall_s)
    report["outcomes"] = [vars(o) for o in outcomes]
    out = Path(args.out) if args.out else config.data_path / "load-tests" / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(table(report))  # noqa: T201 - the table is this command's output
    log.info("report written to %s", out)
    raise SystemExit(0 if report["answered"] == report["planned"] else 1)


if __name__ == "__main__":
    main()
