"""Playwright drives the Evaluate tab and the evaluation report in Debian's Chromium."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from common.config import REPO_ROOT, Config
from tests.ui_helpers import fill_and_leave, served

pytestmark = pytest.mark.browser


def test_evaluate_tab_runs_a_set_and_offers_the_results(page, fake_pipelines, tmp_path):
    from app import build_app

    config = Config(data_dir=str(tmp_path))
    with served(build_app(fake_pipelines, config), allowed_paths=[str(tmp_path)]) as url:
        page.goto(url)
        page.get_by_role("tab", name="Evaluate").click()
        fill_and_leave(page, "#eval-limit input", "2")
        page.click("#eval-run")
        page.get_by_text("Done:").wait_for(timeout=60_000)
        assert "12 answers" in page.inner_text("#eval-status")  # 2 questions x 2 sets x 3 columns
        summary = page.inner_text("#eval-summary")
        assert all(name in summary for name in ("base", "rag", "lora"))
        assert page.locator("#eval-plots svg").count() == 5
        files = page.inner_text("#eval-files").replace("\n", "")
        for name in ("answers.json", "answers.csv", "summary.json", "report.html"):
            assert name in files
        assert str(tmp_path) not in page.inner_text("#eval-status")  # no server path shown
        # The whole default set (135 questions) is capped for a visitor, and stopped early.
        fill_and_leave(page, "#eval-limit input", "0")
        page.click("#eval-run")
        page.get_by_text("Running…").wait_for(timeout=10_000)
        assert "Capped at 40 questions for visitors" in page.inner_text("#eval-status")
        page.click("#eval-stop")
        page.get_by_text("stopped early").wait_for(timeout=30_000)
        answered = int(page.inner_text("#eval-status").split(": ")[1].split(" answers")[0])
        assert 0 < answered < 120


def test_evaluation_report_opens_in_chromium(page, fake_pipelines, tmp_path):
    from evaluation.outputs import write_outputs
    from evaluation.run import evaluate, summarize

    items = [
        {
            "id": "a",
            "question": "Notice period?",
            "answers": ["60 days"],
            "source": "legal/terms.md",
        },
        {"id": "b", "question": "Who is the CEO?", "answers": []},
    ]
    records = evaluate(fake_pipelines, items)
    paths = write_outputs(tmp_path, records, summarize(records), {"questions": 2})
    page.goto(paths["report_html"].as_uri())
    assert page.title() == "Evaluation report"
    assert page.locator("svg").count() == 5
    assert page.locator("table").first.locator("tr").count() == 4  # header + three pipelines
    assert "Worst answers per pipeline" in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


@pytest.mark.model
def test_real_evaluation_writes_all_outputs_and_its_report_opens(page, resources, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "ip",
                "question": "What is the default IP address of the HX-40 on ETH2?",
                "answers": ["192.168.40.1"],
                "source": "manual/hx40-installation.md",
            }
        )
        + "\n"
        + json.dumps({"id": "ceo", "question": "Who is the CEO of Tessaline?", "answers": []})
        + "\n"
    )
    out = tmp_path / "run"
    env = {**os.environ, "APP_DATA_DIR": resources.config.data_dir, "APP_MAX_NEW_TOKENS": "32"}
    subprocess.run(  # the command as a user runs it
        [
            sys.executable,
            "-m",
            "scripts.evaluate",
            "--questions",
            str(questions),
            "--out",
            str(out),
        ],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["pipelines"]) == {"base", "rag", "lora"}
    assert summary["pipelines"]["rag"]["recall_at_k"] == 1.0
    assert summary["pipelines"]["rag"]["context_overhead_tokens"] > 100
    assert len(json.loads((out / "answers.json").read_text())) == 6
    with (out / "answers.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 6
    page.goto((out / "report.html").as_uri())
    assert page.title() == "Evaluation report"
    assert "Worst answers per pipeline" in page.inner_text("body")
