"""Playwright drives the Evaluate tab and the evaluation report in Debian's Chromium."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from common.config import REPO_ROOT, Config
from tests.ui_helpers import fill_and_leave, served

pytestmark = pytest.mark.browser


# Every word of the element's text on one line: a word split over two lines was broken.
BROKEN_WORDS = """selector => {
    const broken = [];
    const root = document.querySelector(selector);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (tops.size > 1) broken.push(match[0]);
        }
    }
    return broken;
}"""
# The components that show Gradio's own progress overlay right now.
OVERLAYS = """() => [...document.querySelectorAll('[data-testid="status-tracker"]')]
    .filter(e => !e.classList.contains('hide') && e.getBoundingClientRect().height > 0)
    .map(e => e.closest('[id]')?.id || '?')"""


def _own_documents(data: Path) -> None:
    """An edited copy of a corpus document and an upload, as the Documents tab stores them."""
    edited = data / "documents" / "legal" / "terms-of-service.md"
    upload = data / "documents" / "uploads" / "price-list.md"
    for path in (edited, upload):
        path.parent.mkdir(parents=True, exist_ok=True)
    edited.write_text("# Terms of service\n\nThe trial lasts 45 days.\n")
    upload.write_text("# Price list\n\nThe HX-40 costs EUR 1,400.\n")


def test_evaluate_tab_runs_a_set_and_offers_the_results(page, fake_pipelines, tmp_path):
    from app import build_app

    _own_documents(tmp_path)
    config = Config(data_dir=str(tmp_path))
    page.set_viewport_size({"width": 1400, "height": 900})
    with served(build_app(fake_pipelines, config), allowed_paths=[str(tmp_path)]) as url:
        page.goto(url)
        page.get_by_role("tab", name="Evaluate").click()
        # The count is the total, split over the two default sets, said before running.
        fill_and_leave(page, "#eval-limit input", "3")
        plan = page.inner_text("#eval-plan")
        assert re.match(r"Will ask 3 questions: 2 of the \d+ in test.jsonl, 1 of the \d+ in ", plan)
        page.click("#eval-run")
        page.get_by_text("Done:").wait_for(timeout=60_000)
        status = page.inner_text("#eval-status")
        assert "9 answers" in status  # 3 questions x 3 columns
        # What was evaluated: the app's index with the edit and the upload, by counts.
        assert "against the app's index: 10 documents (8 as shipped in the corpus folder" in status
        assert "1 edited in the app, 1 uploaded)" in status
        summary = page.inner_text("#eval-summary")
        assert all(name in summary for name in ("base", "rag", "lora"))
        assert page.evaluate(BROKEN_WORDS, "#eval-summary table") == []
        # The fakes never hold the gold answer: the quality plots say so instead of drawing.
        assert page.locator("#eval-plots svg").count() == 2  # latency and cost
        assert page.locator("#eval-plots .no-plot").count() == 3
        assert "Nothing to draw: every column scored 0" in page.inner_text("#eval-plots")
        files = page.inner_text("#eval-files").replace("\n", "")
        for name in ("answers.json", "answers.csv", "summary.json", "report.html"):
            assert name in files
        (report,) = tmp_path.glob("eval-runs/*/report.html")
        for text in (status, report.read_text()):  # no server path shown
            assert str(tmp_path) not in text and str(REPO_ROOT) not in text
        assert "1 edited in the app, 1 uploaded" in report.read_text()
        # The whole default set (135 questions) is capped for a visitor, and stopped early.
        fill_and_leave(page, "#eval-limit input", "0")
        assert "(capped at 40 for visitors)" in page.inner_text("#eval-plan")
        page.click("#eval-run")
        page.get_by_text("Running…").wait_for(timeout=10_000)
        assert "Capped at 40 questions for visitors" in page.inner_text("#eval-status")
        page.wait_for_timeout(1_200)  # a progress update or two
        assert page.locator("#eval-status progress").count() == 1  # one progress display
        assert page.evaluate(OVERLAYS) == []  # and no overlay over the results
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
    page.set_viewport_size({"width": 900, "height": 900})
    assert page.evaluate(BROKEN_WORDS, "table") == []  # the summary: no word split in two
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
