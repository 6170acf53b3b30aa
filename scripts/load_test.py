"""Load-test the chat: concurrent browser-less sessions ask test questions through Gradio's API.

    python -m scripts.load_test --start                       # 20 sessions x 2 questions
    APP_MAX_NEW_TOKENS=48 python -m scripts.load_test --start --sessions 20 --questions 2
    python -m scripts.load_test --url http://127.0.0.1:7860/  # an app that is already running

Each session is one conversation asking its questions (from data/qa/test.jsonl) one after
another; nothing is asked after --seconds. With --start the app is started here (APP_* from the
environment, APP_DATA_DIR from --data-dir) and its peak memory is read. Prints a Markdown table
(success rate, errors by message, p50/p95 of a full answer of every shown column, answers per
second, memory) and writes it as JSON to --out (default: data folder/load-tests/<time>.json).
Exit status 1 unless every planned question was answered. The sessions are in benchmarks/load.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from benchmarks.load import load_test, table
from benchmarks.results import TEST_SET, write_json
from common.config import REPO_ROOT, Config
from common.logs import setup
from common.validation import auth_pairs
from evaluation.run import load_questions

log = logging.getLogger("load_test")

URL = f"http://{Config.host}:{Config.port}/"  # the app's address with the default APP_HOST/PORT


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions", type=int, default=20, help="concurrent sessions (default: %(default)s)"
    )
    parser.add_argument(
        "--questions", type=int, default=2, help="questions per session (default: %(default)s)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=600,
        help="time limit of the run; nothing is asked after it (default: %(default)s)",
    )
    parser.add_argument("--url", default=URL, help="the running app to load (default: %(default)s)")
    parser.add_argument(
        "--start", action="store_true", help="start the app here and load it instead of --url"
    )
    parser.add_argument(
        "--data-dir",
        default="",
        help="APP_DATA_DIR for the app --start starts (default: the environment's)",
    )
    parser.add_argument(
        "--auth",
        default="",
        help="user:password for an app with a login (default: APP_AUTH's first)",
    )
    parser.add_argument(
        "--questions-file",
        default=str(TEST_SET),
        help=f"JSONL of questions (default: {TEST_SET.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--out", default="", help="JSON report (default: data folder/load-tests/<time>.json)"
    )
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
    folder, stamp = config.data_path / "load-tests", time.strftime("%Y%m%dT%H%M%S")
    report = load_test(
        args.url,
        questions,
        args.sessions,
        args.questions,
        args.seconds,
        auth=pairs[0] if pairs else None,
        start={"APP_DATA_DIR": config.data_dir} if args.start else None,
        app_log=folder / f"{stamp}-app.log",
    )
    out = write_json(report, args.out, folder / f"{stamp}.json")
    print(table(report))  # noqa: T201 - the table is this command's output
    log.info("report written to %s", out)
    raise SystemExit(0 if report["answered"] == report["planned"] else 1)


if __name__ == "__main__":
    main()
