import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines.core import Answer, Source
from ui.transcript import (
    CSV_FIELDS,
    Turn,
    to_csv,
    to_html,
    to_json,
    write_exports,
)

TITLES = {"base": "Base model", "rag": "RAG", "lora": "LoRA"}
SLA = Source("legal/sla.md", "3.1", "Uptime is 99.9 % per month.", score=0.8123, rank=1)
FAQ = Source("support/faq.md", "", "Refunds take 5 days.", score=None, rank=2)
WEIGHTS = Source("", "", "Answer from the model's weights only.")
TRICKY = 'First line, with "quotes", commas\nsecond line; <b>bold</b> & more'
UNICODE = "Ça marche? 🚀👍🏽 — مرحبا بالعالم — שלום"


def _answer(name: str, text: str, sources: tuple[Source, ...], **numbers) -> Answer:
    return Answer(pipeline=name, text=text, sources=sources, done=True, **numbers)


@pytest.fixture
def turns() -> list[Turn]:
    rag = _answer(
        "rag",
        TRICKY,
        (SLA, FAQ),
        prompt_tokens=581,
        completion_tokens=11,
        total_s=2.5,
        first_token_s=0.5,
        retrieval_s=0.0123,
        cost=0.000129,
    )
    base = _answer(
        "base", "I am not sure.", (WEIGHTS,), prompt_tokens=40, completion_tokens=1, total_s=0.25
    )
    lora = _answer(
        "lora",
        UNICODE,
        (),
        prompt_tokens=42,
        completion_tokens=7,
        total_s=1.0,
        first_token_s=0.25,
        cost=1.5,
    )
    return [
        Turn(
            "What is the <script>alert(1)</script> SLA?",
            "2025-01-02T03:04:05+00:00",
            {"base": base, "rag": rag},
            vote="rag",
        ),
        Turn(UNICODE, "2025-01-02T03:05:00+00:00", {"lora": lora, "base": base}, vote=None),
    ]


def test_json_round_trips_every_value(turns):
    data = json.loads(to_json(turns, TITLES, "USD"))
    assert data["currency"] == "USD"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", data["exported_at"])
    first, second = data["turns"]
    assert first["question"] == turns[0].question
    assert first["asked_at"] == "2025-01-02T03:04:05+00:00"
    assert (first["vote"], second["vote"]) == ("rag", None)
    assert list(first["answers"]) == ["base", "rag"]  # the order the columns were shown
    rag = first["answers"]["rag"]
    assert rag == {
        "title": "RAG",
        "text": TRICKY,
        "cut_at_tokens": None,
        "prompt_tokens": 581,
        "completion_tokens": 11,
        "total_s": 2.5,
        "first_token_s": 0.5,
        "retrieval_s": 0.0123,
        "tokens_per_s": pytest.approx(10 / 2.0),
        "cost": 0.000129,
        "sources": [
            {
                "rank": 1,
                "document": "legal/sla.md",
                "section": "3.1",
                "score": 0.8123,
                "text": "Uptime is 99.9 % per month.",
            },
            {
                "rank": 2,
                "document": "support/faq.md",
                "section": "",
                "score": None,
                "text": "Refunds take 5 days.",
            },
        ],
    }
    base = first["answers"]["base"]
    assert (base["first_token_s"], base["retrieval_s"], base["tokens_per_s"]) == (None,) * 3
    assert base["sources"][0]["rank"] is None
    assert second["answers"]["lora"]["title"] == "LoRA"


def test_csv_has_one_row_per_turn_and_column(turns):
    rows = list(csv.DictReader(io.StringIO(to_csv(turns, TITLES, "EUR"))))
    assert [(r["turn"], r["column"], r["title"]) for r in rows] == [
        ("1", "base", "Base model"),
        ("1", "rag", "RAG"),
        ("2", "lora", "LoRA"),
        ("2", "base", "Base model"),
    ]
    rag = rows[1]
    assert rag["answer"] == TRICKY  # newline, commas and quotes intact
    assert rag["question"] == turns[0].question
    assert rag["asked_at"] == "2025-01-02T03:04:05+00:00"
    numbers = ("prompt_tokens", "completion_tokens", "total_s", "first_token_s", "retrieval_s")
    assert [rag[key] for key in numbers] == ["581", "11", "2.5", "0.5", "0.0123"]
    assert float(rag["tokens_per_s"]) == pytest.approx(5.0)
    assert (float(rag["cost"]), rag["currency"], rag["vote"]) == (0.000129, "EUR", "rag")
    assert rag["sources"] == "[1] legal/sla.md §3.1 (0.812); [2] support/faq.md"
    base = rows[0]
    assert (base["first_token_s"], base["retrieval_s"], base["tokens_per_s"]) == ("", "", "")
    assert base["sources"] == "Answer from the model's weights only."
    assert rows[2]["vote"] == "" and rows[2]["sources"] == ""


class _Page(HTMLParser):
    """Collects the tags and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Page:
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    return parsed


def test_html_escapes_user_and_model_text(turns):
    hostile = Answer(
        "rag",
        text="<script>steal()</script> & <img src=x onerror=y>",
        sources=(Source("<doc>.md", "<s>", "<script>x</script>", 0.5, 1),),
    )
    turn = Turn("<script>alert(2)</script>", "<u>now</u>", {"rag": hostile}, vote="<em>x</em>")
    page = to_html([turn], {"rag": "<i>RAG</i>"}, "<sup>USD</sup>")
    assert {"script", "img", "s", "doc", "u", "em", "i", "sup"}.isdisjoint(_parse(page).tags)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;script&gt;steal()&lt;/script&gt; &amp; &lt;img" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;doc&gt;.md" in page
    text = "".join(_parse(page).text)
    assert "<script>alert(2)</script>" in text and "<i>RAG</i>" in text
    assert "<script>alert(1)</script>" in "".join(_parse(to_html(turns, TITLES, "USD")).text)


def test_html_page_is_standalone_with_metrics_sources_and_votes(turns):
    page = to_html(turns, TITLES, "USD")
    parsed = _parse(page)
    assert parsed.tags.count("section") == 2 and parsed.tags.count("article") == 4
    # passages only: the base answer's weights-only note is no source, the lora answer has none
    assert parsed.tags.count("details") == 1 and "Sources (2)" in page
    assert "weights only." in page
    assert not re.search(r"<script|<link|https?://|src=", page)
    assert "display: grid" in page and "minmax(" in page  # side by side, stacked when narrow
    text = "".join(parsed.text)
    assert "total 2.50 s · first token 0.50 s · retrieval 0.01 s · 5.0 tok/s" in text
    assert "581 prompt + 11 completion tokens · 0.000129 USD" in text
    assert "total 0.25 s · first token – · retrieval – · –" in text
    assert "[1] legal/sla.md §3.1 (0.812)" in text and "Uptime is 99.9 % per month." in text
    assert "Vote: RAG" in text and "Vote: none" in text


@pytest.mark.parametrize(("vote", "label"), [("tie", "Tie"), ("all bad", "All bad")])
def test_html_names_tie_and_all_bad_votes(turns, vote, label):
    page = to_html([Turn("q", "t", turns[0].answers, vote=vote)], TITLES, "USD")
    assert f"Vote: <b>{label}</b>" in page


def test_unicode_survives_all_three_exports(turns):
    assert json.loads(to_json(turns, TITLES, "USD"))["turns"][1]["question"] == UNICODE
    rows = list(csv.DictReader(io.StringIO(to_csv(turns, TITLES, "USD"))))
    assert rows[2]["question"] == UNICODE and rows[2]["answer"] == UNICODE
    page = to_html(turns, TITLES, "USD")
    assert UNICODE in page and '<meta charset="utf-8">' in page and 'dir="auto"' in page


def test_empty_conversation_still_exports(tmp_path: Path):
    data = json.loads(to_json([], TITLES, "USD"))
    assert data["turns"] == [] and data["currency"] == "USD"
    reader = csv.DictReader(io.StringIO(to_csv([], TITLES, "USD")))
    assert list(reader) == [] and tuple(reader.fieldnames or ()) == CSV_FIELDS
    page = to_html([], TITLES, "USD")
    assert "No questions yet" in page and page.rstrip().endswith("</html>")
    assert all(path.stat().st_size > 0 for path in write_exports([], TITLES, "USD", tmp_path))


def test_write_exports_writes_three_files_that_read_back(turns, tmp_path: Path):
    folder = tmp_path / "exports" / "session-1"
    paths = write_exports(turns, TITLES, "USD", folder)
    assert [p.name for p in paths] == ["conversation.json", "conversation.csv", "conversation.html"]
    assert all(p.parent == folder and p.stat().st_size > 0 for p in paths)
    assert json.loads(paths[0].read_text(encoding="utf-8"))["turns"][1]["question"] == UNICODE
    with paths[1].open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4 and rows[1]["answer"] == TRICKY
    assert UNICODE in paths[2].read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    # Exporting again replaces the files, it does not append to them.
    write_exports(turns[:1], TITLES, "USD", folder)
    assert len(json.loads(paths[0].read_text(encoding="utf-8"))["turns"]) == 1


def test_a_turn_keeps_the_columns_in_their_shown_order_whatever_finishes_first(fake_config):
    """The export lists the columns as the page shows them, not in the order they finished."""
    from tests.conftest import FakePipeline
    from ui.chat_tab import _answerer

    columns = [
        FakePipeline("base", "Base", "Slow answer of many words here.", delay=0.05),
        FakePipeline("rag", "RAG", "Quick."),
        FakePipeline("lora", "LoRA", "Quick too."),
    ]
    *_, final = _answerer(columns, fake_config, lambda _: None)("Q?", [], [[], [], []])
    turns = final[1 + 3 * len(columns)]
    assert list(turns[-1].answers) == ["base", "rag", "lora"]
