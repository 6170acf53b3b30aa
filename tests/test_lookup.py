"""The lookup of an answer's values (grounding/lookup.py) over a tiny made-up corpus indexed
with the real embedder: stated values are supported, changed ones contradicted with the
document's value, unknown ones not found."""

from __future__ import annotations

import pytest

from grounding.lookup import CONTRADICTED, NOT_FOUND, SUPPORTED, Check, check_answer
from tests.conftest import made_up_corpus

DOCS = {
    "zorblat.md": """# Zorblat Gateway Manual

## Status lamp
The Zorblat gateway's status lamp glows teal when the uplink is healthy. It blinks amber while
the firmware updates.

## Ports
The Zorblat gateway has seven ports on its rear panel. Two of them carry power over Ethernet.

## Warranty
The Zorblat warranty lasts 41 months from the date of delivery. Repairs under warranty are free.

## Exports
Every export is encoded in UTF-16 with a byte order mark.
""",
    "quillon.md": """# Quillon Services Agreement

## Availability
Quillon guarantees an uptime of 99.9% in each calendar month, measured at the edge.

## Notice
Either party may end this agreement with 60 days of written notice to Quillon Legal.
""",
}
WARRANTY = "How long is the Zorblat warranty?"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_config) -> object:
    """The index of the made-up documents, built with the real (small) embedder."""
    from pipelines.resources import Resources

    config = made_up_corpus(tmp_path_factory.mktemp("lookup"), DOCS, real_config)
    return Resources(config).index()


def only_mark(check: Check):
    assert len(check.marks) == 1, check.marks
    return check.marks[0]


def test_a_stated_value_is_supported_with_its_sentence_and_document(index):
    check = check_answer(index, WARRANTY, "The warranty lasts 41 months.")
    mark = only_mark(check)
    assert mark.verdict == SUPPORTED
    assert mark.sentence.startswith("The Zorblat warranty lasts 41 months")
    assert mark.document.endswith("zorblat.md")
    assert mark.section == "Warranty"
    assert (check.supported, check.contradicted) == (1, 0)
    assert check.seconds > 0


def test_the_same_subject_in_other_inflections_supports(index):
    """ "encoding" and "exports" in the question, "encoded" and "export" in the document."""
    check = check_answer(index, "Which encoding do exports use?", "UTF-16.")
    mark = only_mark(check)
    assert mark.verdict == SUPPORTED, mark
    assert mark.sentence.startswith("Every export is encoded in UTF-16")


def test_a_changed_number_on_the_same_subject_is_contradicted(index):
    check = check_answer(index, WARRANTY, "The warranty lasts 36 months.")
    mark = only_mark(check)
    assert mark.verdict == CONTRADICTED
    assert mark.stated == "41 months"
    assert "warranty lasts 41 months" in mark.sentence
    assert mark.document.endswith("zorblat.md")
    assert (check.supported, check.contradicted) == (0, 1)


def test_a_changed_percentage_shows_the_documents_value(index):
    mark = only_mark(check_answer(index, "What uptime does Quillon guarantee?", "Uptime is 99.5%."))
    assert mark.verdict == CONTRADICTED
    assert mark.stated == "99.9%"
    assert mark.document.endswith("quillon.md")


def test_a_value_no_document_states_is_not_found(index):
    mark = only_mark(check_answer(index, "How much power does it use?", "The lamp draws 7 watts."))
    assert mark.verdict == NOT_FOUND
    assert (mark.sentence, mark.document, mark.stated) == ("", "", "")


def test_number_words_are_normalised(index):
    answer = "The Zorblat warranty lasts forty-one months."
    marks = check_answer(index, "How long is the warranty?", answer).marks
    assert [(m.value.text, m.verdict) for m in marks if m.value.kind == "period"] == [
        ("forty-one months", SUPPORTED)
    ]


def test_a_value_of_the_question_is_not_checked(index):
    question = "Can the agreement end with 30 days of notice?"
    check = check_answer(index, question, "No: with 30 days it cannot, 60 days are needed.")
    assert [(m.value.text, m.verdict) for m in check.marks] == [("60 days", SUPPORTED)]


def test_an_answer_without_values_has_no_marks(index):
    check = check_answer(index, "What colour is the Zorblat lamp?", "It glows teal.")
    assert check.marks == ()
    assert check.seconds > 0


def test_a_name_is_supported_by_the_same_name_and_never_contradicted(index):
    question = "Who receives the notice under the agreement?"
    good = check_answer(index, question, "Notice goes to Quillon Legal in writing.").marks
    assert ("Quillon Legal", SUPPORTED) in [(m.value.text, m.verdict) for m in good]
    other = check_answer(index, question, "Notice goes to Varn Partners in writing.").marks
    assert [(m.value.text, m.verdict) for m in other] == [("Varn Partners", NOT_FOUND)]
