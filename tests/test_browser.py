"""Playwright drives the chat in Debian's Chromium: with fake pipelines, and once for real."""

from __future__ import annotations

import pytest

from benchmarks.apps import start_app, stop_app
from tests.ui_helpers import (
    COLUMNS,
    ask_all,
    read_column,
    served,
    wait_text,
)

pytestmark = pytest.mark.browser


def test_fake_app_shows_three_answers_with_sources_latency_and_tokens(
    page, fake_pipelines, fake_config
):
    from app import build_app

    with served(build_app(fake_pipelines, fake_config)) as url:
        page.goto(url)
        ask_all(page, "What is the notice period?", timeout_s=30)
        columns = {name: read_column(page, name) for name in COLUMNS}
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


@pytest.mark.model
def test_real_app_answers_a_corpus_question_three_ways(page, data_dir):
    env = {"APP_DATA_DIR": str(data_dir), "APP_MAX_NEW_TOKENS": "48"}
    process, url = start_app(env, data_dir / "app.log")
    try:
        page.goto(url)
        ask_all(
            page, "What is the default IP address of the HX-40 gateway on its LAN port ETH2?", 240
        )
        columns = {name: read_column(page, name) for name in COLUMNS}
        assert "manual/hx40-" in columns["rag"]["sources"]
        # The sentence with the address went to the model (underlined). Whether the 135M model
        # then copies it depends on the weights' encoding (bf16 where the CPU has it, else the
        # GGUF's Q4_1): answer quality is measured by scripts.evaluate, not asserted here.
        given = page.locator("#sources-rag u").all_inner_texts()
        assert any("192.168.40.1" in sentence for sentence in given)
        assert "score" in columns["rag"]["sources"] and "retrieval" in columns["rag"]["stats"]
        # The first source opens its whole document, served by the app.
        link = page.locator("#sources-rag details[open] a").first
        assert link.inner_text().startswith("Open manual/hx40-")
        document = page.request.get(url.rstrip("/") + link.get_attribute("href"))
        assert document.ok and document.text().startswith("# ")
        for name in ("base", "lora"):
            assert "weights only" in columns[name]["sources"]
        for column in columns.values():
            assert "Error" not in column["chat"]
            assert "first token" in column["stats"] and "completion" in column["stats"]
        assert "tok/s" in columns["base"]["stats"]  # a long answer: its decode speed is shown
        _every_column_gets_its_evidence_check(page)
        _upload_then_ask_with_a_follow_up(page, data_dir)
        _a_pdf_source_names_its_page(page, data_dir, url)
        _the_reader_column_answers(page)
    finally:
        stop_app(process)


def _every_column_gets_its_evidence_check(page) -> None:
    """Under each of the three columns, the real answer's values looked up in the documents
    (which values the 135M model states differs by machine: the check's verdicts are measured
    by scripts.evaluate); the panels say how long the check took."""
    for name in COLUMNS:
        wait_text(page, f"#evidence-{name}", "checked in", 120)
        assert "Values in the documents" in page.inner_text(f"#evidence-{name}")
    marks = "".join(page.inner_text(f"#evidence-{name}") for name in COLUMNS)
    assert any(symbol in marks for symbol in "✔✘?"), marks


def _a_pdf_source_names_its_page(page, data_dir, url: str) -> None:
    """A PDF upload keeps its page numbers: the source of a passage on its third page says
    "p. 3", and its link opens the document at that page."""
    from tests.document_files import make_pdf, show

    pdf = data_dir / "orvane-lease.pdf"
    filler = " The tenant keeps the unit clean and tells the landlord of any damage at once." * 6
    pdf.write_bytes(  # pages longer than a chunk: each page is a passage of its own
        make_pdf(
            show("Orvane Storage Lease. The lease starts on 1 March 2027." + filler),
            show("Both parties sign the Orvane lease in Ghent." + filler),
            show("The monthly rent of the Orvane storage unit is 2,400 euros." + filler),
        )
    )
    _upload(page, pdf, "uploads/orvane-lease.pdf.md")
    ask_all(page, "What is the monthly rent of the Orvane storage unit?", 240)
    rent = page.locator("#sources-rag details", has=page.locator("u", has_text="2,400 euros"))
    assert "uploads/orvane-lease.pdf.md · p. 3 ·" in rent.locator("summary").inner_text()
    link = rent.locator("a", has_text="Open uploads/orvane-lease.pdf.md at p. 3")
    assert link.get_attribute("href") == "/documents/uploads/orvane-lease.pdf.md#page-3"
    document = page.request.get(url.rstrip("/") + link.get_attribute("href"))
    assert document.ok and 'id="page-3"' in document.text()


def _upload(page, path, stored: str) -> None:
    """Add `path` in the Documents tab, wait until it is stored as `stored`, back to the chat."""
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#doc-upload input[type=file]", str(path))
    wait_text(page, "#doc-upload", path.stem.split("-")[0])
    page.click("#doc-add")
    wait_text(page, "#doc-status", f"Added {stored}", 120)
    page.get_by_role("tab", name="Chat").click()


def _the_reader_column_answers(page) -> None:
    """The optional RAG + reader column loads the reader adapter, says so in its note, and
    answers from the passages (what the 135M reader says is measured by scripts.evaluate)."""
    page.get_by_role("tab", name="Chat").click()
    page.check("#show-rag_lora input")
    wait_text(page, "#note-rag_lora", "smollm2-corpus-reader", 30)
    ask_all(page, "How long does the free Tessaline Cloud Professional trial last?", 240)
    wait_text(page, "#stats-rag_lora", "Cost", 240)
    page.wait_for_function(
        "() => !document.querySelector('#stats-rag_lora').innerText.includes('generating')",
        timeout=240_000,
    )
    reader = read_column(page, "rag_lora")
    assert "Error" not in reader["chat"] and "legal/terms-of-service.md" in reader["sources"]


def test_an_example_is_asked_with_one_click_and_shown_whole(page, fake_pipelines, fake_config):
    from app import CSS, build_app
    from ui.chat_tab import EXAMPLES

    with served(build_app(fake_pipelines, fake_config), css=CSS) as url:  # as the app styles it
        page.goto(url)
        longest = max(EXAMPLES, key=len)
        button = page.locator("button.example", has_text=longest)
        assert button.inner_text().strip() == longest
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth + 1")  # wrapped, not cut
        button.click()
        wait_text(page, "#chat-rag", "RAG says 60 days. (turn 1)", 30)
        assert longest in page.inner_text("#chat-base")  # asked, as the question of turn 1


def test_the_optional_column_is_hidden_until_switched_on(page, fake_pipelines, fake_config):
    from app import build_app
    from tests.conftest import FakePipeline

    both = FakePipeline("rag_lora", "RAG + reader fine-tune", "Both say 60 days.", optional=True)
    with served(build_app([*fake_pipelines, both], fake_config)) as url:
        page.goto(url)
        assert not page.locator("#chat-rag_lora").is_visible()
        ask_all(page, "What is the notice period?", timeout_s=30)
        page.check("#show-rag_lora input")
        page.locator("#chat-rag_lora").wait_for(state="visible", timeout=5000)
        assert "Both say" not in page.inner_text("#chat-rag_lora")  # not asked while hidden
        page.fill("#question textarea", "And the fees?")
        page.click("#ask")
        wait_text(page, "#chat-rag_lora", "Both say 60 days. (turn 1)", 30)
        wait_text(page, "#chat-base", "Base says 120 days. (turn 2)", 30)
        page.uncheck("#show-rag_lora input")
        page.locator("#chat-rag_lora").wait_for(state="hidden", timeout=5000)


@pytest.mark.parametrize("width", [1280, 390])
def test_columns_sit_side_by_side_on_a_laptop_and_in_a_swipeable_row_on_a_phone(
    page, fake_pipelines, fake_config, width
):
    from app import build_app

    def notes() -> dict[str, str]:  # notes of different lengths must not misalign the chats
        return {"rag": "Searches 9 chunks.", "lora": "Trained on an older snapshot. " * 6}

    with served(build_app(fake_pipelines, fake_config, notes=notes)) as url:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        wait_text(page, "#note-lora", "older snapshot")
        boxes = [page.locator(f"#chat-{name}").bounding_box() for name in COLUMNS]
        assert all(box and box["width"] > 200 for box in boxes)  # readable either way
        assert len({round(box["y"]) for box in boxes}) == 1  # one row: never stacked
        assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
        # The first column wholly in view; on a phone the row scrolls, never the page.
        assert boxes[0]["x"] >= 0 and boxes[0]["x"] + boxes[0]["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width >= 1280:
            assert max(box["x"] + box["width"] for box in boxes) <= width


def _upload_then_ask_with_a_follow_up(page, data_dir) -> None:
    """A new document is answered from on the next question, a follow-up that names no subject
    finds it through the conversation, and removing it takes it out of the index."""
    sheet = data_dir / "zephyr-price-sheet.md"
    sheet.write_text(
        "# Zephyr-9 Pump Price Sheet\n\n## Price\nThe Zephyr-9 circulation pump costs "
        "1,240 euros excluding tax.\n\n## Weight\nThe Zephyr-9 pump weighs 7.5 kilograms "
        "without water.\n"
    )
    _upload(page, sheet, "uploads/zephyr-price-sheet.md")
    ask_all(page, "How much does the Zephyr-9 pump cost?", 240)
    rag = read_column(page, "rag")
    assert "uploads/zephyr-price-sheet.md" in rag["sources"]
    # The upload's price went to the model (underlined), whatever the tiny model made of it.
    given = page.locator("#sources-rag u").all_inner_texts()
    assert any("1,240" in sentence for sentence in given)
    ask_all(page, "And how much does it weigh?", 240)
    sources = page.locator("#sources-rag details[open]").first.inner_text()
    assert "uploads/zephyr-price-sheet.md" in sources and "Weight" in sources
    page.get_by_role("tab", name="Documents").click()
    page.locator("#doc-pick input").click()
    page.get_by_role("option", name="uploads/zephyr-price-sheet.md").click()
    page.click("#doc-remove")
    wait_text(page, "#doc-status", "Removed uploads/zephyr-price-sheet.md", 120)


def test_nothing_moves_while_the_answers_stream(page, fake_config):
    from app import build_app
    from tests.conftest import FakePipeline

    slow = [
        FakePipeline(name, name, "word " * 12, delay=0.25)
        for name in COLUMNS  # about 3 s of streaming
    ]
    with served(build_app(slow, fake_config)) as url:
        page.goto(url)

        def layout() -> list[tuple[float, float, float, float]]:
            boxes = [page.locator(f"#chat-{n}").bounding_box() for n in COLUMNS]
            boxes += [page.locator(f"#stats-{n}").bounding_box() for n in COLUMNS]
            boxes.append(page.locator("#ask").bounding_box())
            return [
                (round(b["x"]), round(b["y"]), round(b["width"]), round(b["height"])) for b in boxes
            ]

        page.fill("#question textarea", "What is the notice period?")
        page.click("#ask")
        wait_text(page, "#chat-rag", "word word")
        during = []
        for _ in range(5):
            during.append(layout())
            page.wait_for_timeout(300)
        wait_text(page, "#stats-lora", "Cost", 30)
        page.wait_for_function(
            "() => !document.querySelector('#stats-base').innerText.includes('generating')"
        )
        assert all(sample == during[0] for sample in during)
        assert layout() == during[0]
