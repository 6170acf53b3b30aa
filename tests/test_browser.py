"""Playwright drives the app in Debian's Chromium: once with fake pipelines, once for real."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines.config import REPO_ROOT, Config

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
COLUMNS = ("base", "rag", "lora")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _ask(page, question: str, timeout_s: float) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")
    for name in COLUMNS:
        page.wait_for_function(
            """name => {
                const stats = document.querySelector('#stats-' + name);
                return stats && stats.innerText.includes('Cost')
                    && !stats.innerText.includes('generating');
            }""",
            arg=name,
            timeout=timeout_s * 1000,
        )


def _column(page, name: str) -> dict[str, str]:
    return {
        "chat": page.inner_text(f"#chat-{name}"),
        "stats": page.inner_text(f"#stats-{name}"),
        "sources": page.locator(f"#sources-{name}").text_content() or "",
    }


def test_fake_app_shows_three_answers_with_sources_latency_and_tokens(page, fake_pipelines):
    from app import build_app

    port = _free_port()
    demo = build_app(fake_pipelines, Config())
    demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        _ask(page, "What is the notice period?", timeout_s=30)
        columns = {name: _column(page, name) for name in COLUMNS}
        assert "Base says 120 days. (turn 1)" in columns["base"]["chat"]
        assert "RAG says 60 days. (turn 1)" in columns["rag"]["chat"]
        assert "LoRA says 60 days. (turn 1)" in columns["lora"]["chat"]
        for column in columns.values():
            assert "What is the notice period?" in column["chat"]
            assert "first token 0.05 s" in column["stats"]
            assert "prompt +" in column["stats"] and "completion" in column["stats"]
            assert "legal/terms.md" in column["sources"] and "score 0.810" in column["sources"]
        # Sources expand to their passage, the sentence behind the answer marked.
        assert page.locator("#sources-rag details[open] mark").first.inner_text() == (
            "Notice 60 days."
        )
        assert page.input_value("#question textarea") == ""
        # An empty question sends nothing and says why.
        page.click("#ask")
        page.get_by_text("Type a question first.").wait_for(timeout=5000)
    finally:
        demo.close()


@pytest.mark.model
def test_real_app_answers_a_corpus_question_three_ways(page, data_dir):
    port = _free_port()
    env = {
        **os.environ,
        "APP_PORT": str(port),
        "APP_DATA_DIR": str(data_dir),
        "APP_MAX_NEW_TOKENS": "48",
    }
    log = open(data_dir / "app.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/", 300, process)
        page.goto(f"http://127.0.0.1:{port}/")
        _ask(page, "What is the default IP address of the HX-40 on its LAN port ETH2?", 240)
        columns = {name: _column(page, name) for name in COLUMNS}
        assert "192.168.40.1" in columns["rag"]["chat"]
        assert "manual/hx40-" in columns["rag"]["sources"]
        assert "score" in columns["rag"]["sources"] and "retrieval" in columns["rag"]["stats"]
        # The first source opens its whole document, served by the app.
        link = page.locator("#sources-rag details[open] a").first
        assert link.inner_text().startswith("Open manual/hx40-")
        document = page.request.get(f"http://127.0.0.1:{port}{link.get_attribute('href')}")
        assert document.ok and document.text().startswith("# ")
        for name in ("base", "lora"):
            assert "weights only" in columns[name]["sources"]
        for column in columns.values():
            assert "Error" not in column["chat"]
            assert "first token" in column["stats"] and "tok/s" in column["stats"]
            assert "completion" in column["stats"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _set(page, selector: str, value: str) -> None:
    """Type a value and leave the field, so that Gradio has it before the next click (a click
    right after typing sometimes ran with the old value)."""
    page.fill(selector, value)
    page.press(selector, "Tab")
    page.wait_for_timeout(300)


def test_evaluate_tab_runs_a_set_and_offers_the_results(page, fake_pipelines, tmp_path):
    from app import build_app

    port = _free_port()
    config = Config(data_dir=str(tmp_path))
    demo = build_app(fake_pipelines, config)
    demo.queue().launch(
        server_port=port, prevent_thread_lock=True, quiet=True, allowed_paths=[str(tmp_path)]
    )
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_role("tab", name="Evaluate").click()
        _set(page, "#eval-limit input", "2")
        page.click("#eval-run")
        page.get_by_text("Done:").wait_for(timeout=60_000)
        assert "12 answers" in page.inner_text("#eval-status")  # 2 questions x 2 sets x 3 columns
        summary = page.inner_text("#eval-summary")
        assert all(name in summary for name in ("base", "rag", "lora"))
        assert page.locator("#eval-plots svg").count() == 5
        files = page.inner_text("#eval-files").replace("\n", "")
        for name in ("answers.json", "answers.csv", "summary.json", "report.html"):
            assert name in files
        # The full default set (135 questions x 3 fake columns) is stopped early.
        _set(page, "#eval-limit input", "0")
        page.click("#eval-run")
        page.get_by_text("Running…").wait_for(timeout=10_000)
        page.click("#eval-stop")
        page.get_by_text("stopped early").wait_for(timeout=30_000)
        answered = int(page.inner_text("#eval-status").split(": ")[1].split(" answers")[0])
        assert 0 < answered < 405
        # A folder that does not exist is refused with a message.
        _set(page, "#eval-corpus textarea", "/no/such/folder")
        page.click("#eval-run")
        page.get_by_text("No such folder").first.wait_for(timeout=10_000)
    finally:
        demo.close()


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
def test_real_evaluation_writes_all_outputs_and_its_report_opens(
    page, resources, tmp_path, monkeypatch
):
    from scripts import evaluate as command

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
    monkeypatch.setenv("APP_DATA_DIR", resources.config.data_dir)
    monkeypatch.setenv("APP_MAX_NEW_TOKENS", "32")
    out = tmp_path / "run"
    command.main(["--questions", str(questions), "--out", str(out)])
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


def test_the_optional_column_is_hidden_until_switched_on(page, fake_pipelines):
    from app import build_app
    from tests.conftest import FakePipeline

    both = FakePipeline("rag_lora", "RAG + LoRA", "Both say 60 days.", optional=True)
    port = _free_port()
    demo = build_app([*fake_pipelines, both], Config())
    demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        assert not page.locator("#chat-rag_lora").is_visible()
        _ask(page, "What is the notice period?", timeout_s=30)
        page.check("#show-rag_lora input")
        page.locator("#chat-rag_lora").wait_for(state="visible", timeout=5000)
        assert "Both say" not in page.inner_text("#chat-rag_lora")  # not asked while hidden
        page.fill("#question textarea", "And the fees?")
        page.click("#ask")
        page.get_by_text("Both say 60 days. (turn 1)").wait_for(timeout=30_000)
        page.get_by_text("Base says 120 days. (turn 2)").wait_for(timeout=30_000)
        page.uncheck("#show-rag_lora input")
        page.locator("#chat-rag_lora").wait_for(state="hidden", timeout=5000)
    finally:
        demo.close()


@pytest.mark.parametrize(("width", "side_by_side"), [(1280, True), (390, False)])
def test_columns_sit_side_by_side_on_a_laptop_and_stack_on_a_phone(
    page, fake_pipelines, width, side_by_side
):
    from app import build_app

    port = _free_port()
    demo = build_app(fake_pipelines, Config())
    demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        boxes = [page.locator(f"#chat-{name}").bounding_box() for name in COLUMNS]
        assert all(box and box["width"] > 200 for box in boxes)  # readable either way
        tops = {round(box["y"]) for box in boxes}
        lefts = {round(box["x"]) for box in boxes}
        if side_by_side:
            assert len(tops) == 1 and len(lefts) == 3
            assert max(box["x"] + box["width"] for box in boxes) <= width  # no sideways scroll
        else:
            assert len(lefts) == 1 and boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    finally:
        demo.close()
