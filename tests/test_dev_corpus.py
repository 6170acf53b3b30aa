"""The public dev corpus: the committed questions are well formed, `verify` accepts answers that
are verbatim in their document and nothing else, and HTML pages become clean Markdown. Offline:
nothing here downloads a package."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evaluation.dev_corpus import (
    ANSWERABLE_FIELDS,
    DEV_QUESTIONS,
    DOCUMENTS,
    SQLITE,
    TYPES,
    UNANSWERABLE_FIELDS,
    Package,
    page_markdown,
    verify,
)
from evaluation.run import load_questions


def test_the_dev_questions_parse_and_have_the_promised_shape():
    items = load_questions([DEV_QUESTIONS])
    types = Counter(item["type"] for item in items)
    assert len(items) >= 80
    assert types["unanswerable"] >= 15 and types["yes/no"] >= 3
    assert set(types) <= set(TYPES)
    assert len({item["id"] for item in items}) == len(items)
    documents = {doc.path for doc in DOCUMENTS}
    for item in items:
        fields = ANSWERABLE_FIELDS if item["answers"] else UNANSWERABLE_FIELDS
        assert all(item.get(field) or field == "answers" for field in fields), item["id"]
        assert (item["type"] == "unanswerable") == (not item["answers"]), item["id"]
        if item["answers"]:
            assert item["source"] in documents, item["id"]
    kinds = Counter(item["source"].split("/")[0] for item in items if item["answers"])
    assert kinds["policy"] >= 30 and kinds["manual"] >= 30


def _corpus(folder: Path) -> Path:
    (folder / "policy").mkdir(parents=True)
    (folder / "manual").mkdir()
    (folder / "policy" / "rules.md").write_text(
        "# Rules\n\n## 2. Notice\n\nEither party may end the deal with  sixty days'\nnotice.\n",
        encoding="utf-8",
    )
    (folder / "manual" / "pump.md").write_text(
        "# Pump\n\n## 1. Limits\n\nThe pump runs at up to 40 bar. It is not waterproof.\n",
        encoding="utf-8",
    )
    return folder


def _questions() -> list[dict]:
    return [
        {
            "id": "notice",
            "question": "How much notice ends the deal?",
            "answers": ["Sixty days"],
            "source": "policy/rules.md",
            "section": "2. Notice",
            "evidence": "Either party may end the deal with sixty days' notice.",
            "type": "period",
        },
        {
            "id": "wet",
            "question": "Can the pump get wet?",
            "answers": ["no"],
            "source": "manual/pump.md",
            "section": "1. Limits",
            "evidence": "It is not waterproof.",
            "type": "yes/no",
        },
        {
            "id": "colour",
            "question": "What colour is the pump?",
            "answers": [],
            "absent_terms": ["colour", "painted"],
            "type": "unanswerable",
        },
    ]


def test_verify_accepts_answers_that_are_verbatim_in_their_source(tmp_path):
    # Case and whitespace aside: "Sixty days" matches "sixty days" across a line break.
    assert verify(_questions(), _corpus(tmp_path)) == []


@pytest.mark.parametrize(
    ("index", "change", "complaint"),
    [
        (0, {"answers": ["90 days"]}, "answer '90 days' is not verbatim in the source"),
        (0, {"answers": ["40 bar"]}, "answer '40 bar' is not verbatim in the source"),
        (0, {"evidence": "Either party ends the deal with sixty days notice."}, "not verbatim"),
        (0, {"source": "policy/other.md"}, "is not a document of the corpus"),
        (0, {"type": "date"}, "type 'date' is not one of"),
        (1, {"answers": ["maybe"]}, 'answers are ["yes"] or ["no"]'),
        (1, {"evidence": ""}, "missing evidence"),
        (2, {"absent_terms": ["waterproof"]}, "absent term 'waterproof' occurs"),
        (2, {"type": "term"}, "only an item of type 'unanswerable' has no answers"),
    ],
)
def test_verify_rejects_what_the_corpus_does_not_say(tmp_path, index, change, complaint):
    questions = _questions()
    questions[index] = {**questions[index], **change}
    problems = verify(questions, _corpus(tmp_path))
    assert len(problems) == 1 and complaint in problems[0], problems
    assert problems[0].startswith(questions[index]["id"] + ":")


def test_verify_reads_the_corpus_as_the_index_does(tmp_path):
    # README files describe a folder and are not indexed, so no answer may come from one.
    corpus = _corpus(tmp_path)
    (corpus / "README.md").write_text("# About\n\nThe pump is painted red.\n", encoding="utf-8")
    question = {**_questions()[0], "answers": ["red"], "evidence": "The pump is painted red."}
    question["source"] = "README.md"
    assert verify([question, _questions()[2]], corpus) == [
        "notice: source README.md is not a document of the corpus"
    ]


def test_a_sphinx_page_keeps_its_main_text_under_the_page_title():
    package = Package(
        "doc", "1", ".", "Handbook", keep=("div", "role", "^main$"), drop=(("a", "class", "link"),)
    )
    page = (
        "<html><head><title>3. Tools &#8212; Handbook v1</title></head><body>"
        '<div class="related" role="navigation"><a href="x.html">next</a></div>'
        '<div class="body" role="main"><section><h1>3. Tools<a class="link" href="#t">¶</a></h1>'
        "<div><p>Use <code>make</code> to build.</p></div>"
        "<pre># not a heading\nmake all</pre></section></div>"
        '<div class="footer">© 2024</div></body></html>'
    )
    assert page_markdown(page, package) == (
        "# 3. Tools — Handbook v1\n\n## 3. Tools\n\nUse make to build.\n\n"
        "```\n\n# not a heading\nmake all\n\n```\n"
    )


def test_an_sqlite_page_loses_its_menu_diagram_buttons_and_footer():
    page = (
        "<html><head><title>VACUUM</title></head><body>"
        '<div class=nosearch><div class="menu mainmenu"><ul><li>Home<li>About</ul></div></div>'
        "<h1>1. Syntax</h1>"
        '<p><b><a href="syntax/vacuum-stmt.html">vacuum-stmt:</a></b>'
        "<button onclick='hideorshow()'>hide</button></p>"
        "<h1>2. Description</h1><p>VACUUM rebuilds the database file.</p>"
        '<p align="center"><small><i>This page last modified on 2022-01-20</i></small></p>'
        "</body></html>"
    )
    markdown = page_markdown(page, SQLITE)
    assert markdown == (
        "# VACUUM — SQLite\n\n## 1. Syntax\n\n## 2. Description\n\n"
        "VACUUM rebuilds the database file.\n"
    )


def test_the_committed_questions_are_json_lines_with_no_blank_lines():
    lines = DEV_QUESTIONS.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and all(json.loads(line) for line in lines[:-1])
