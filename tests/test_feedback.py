"""Feedback on one column's answer, without a browser: the handler with made-up questions and a
private vote file."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.store import COMMENT_LIMIT, VoteStore
from pipelines.core import Answer, Source
from ui.feedback import COMMENT, DOWN, UP, send_feedback
from ui.transcript import Turn

TITLES = {"base": "Base model", "rag": "RAG (retrieval)", "lora": "LoRA fine-tuned"}
SETTINGS = {"model": "SmolLM2", "top_k": 4}


@pytest.fixture
def store(tmp_path: Path):
    votes = VoteStore(tmp_path / "votes.sqlite")
    yield votes
    votes.close()


def _turn(question: str, failed: str | None = None) -> Turn:
    """The base and RAG columns answered (or one of them failed); LoRA was switched off."""
    source = Source(document="legal/terms.md", section="8.2", text="Notice 60 days.", rank=1)
    answers = {
        "base": Answer("base", text="Base says 120 days.", done=True, total_s=0.4),
        "rag": Answer("rag", text="RAG says 60 days.", sources=(source,), done=True, cost=2e-5),
    }
    if failed:
        answers[failed] = Answer(failed, text="Error: the engine stopped")
    return Turn(question, "2025-01-02T03:04:05+00:00", answers, settings=SETTINGS)


TURNS = [_turn("What is the fee?"), _turn("What is the notice period?")]


def _send(store, name, rating, comment="", turns=TURNS, session="s1", given=None):
    return send_feedback(store, TITLES, name, rating, comment, turns, session, given)


def test_thumbs_up_stores_the_rating_and_the_answers_it_rates(store):
    status, box, session, given = _send(store, "rag", UP)
    assert status == "👍 saved for question 2" and box == "" and session == "s1"
    (feedback,) = store.feedback()
    latest = TURNS[-1]
    assert (feedback.session, feedback.turn, feedback.column) == ("s1", latest.key, "rag")
    assert (feedback.rating, feedback.comment) == (1, "")
    assert given == (latest.key, UP, "")
    saved = store.turn_record("s1", latest.key)
    assert saved["question"] == "What is the notice period?"
    assert saved["asked_at"] == latest.asked_at
    assert set(saved["answers"]) == {"base", "rag"}  # every answer, not only the rated one
    assert saved["answers"]["base"]["text"] == "Base says 120 days."
    assert saved["answers"]["rag"]["text"] == "RAG says 60 days."
    assert saved["answers"]["rag"]["sources"][0]["document"] == "legal/terms.md"
    assert all(record["settings"] == SETTINGS for record in saved["answers"].values())


def test_thumbs_down_with_a_comment_makes_a_session_when_there_is_none(store):
    status, box, session, _ = _send(store, "base", DOWN, "  Wrong: 60 days.  ", session=None)
    assert status == "👎 with your comment saved for question 2" and box == ""
    assert session and len(session) == 32  # made by the server (ui.jobs.new_session_id)
    (feedback,) = store.feedback()
    assert (feedback.session, feedback.rating, feedback.comment) == (session, -1, "Wrong: 60 days.")


def test_a_comment_alone_is_stored_without_a_rating(store):
    status, box, _, given = _send(store, "rag", COMMENT, "Cites the right clause.")
    assert status == "Comment saved for question 2" and box == ""
    (feedback,) = store.feedback()
    assert (feedback.rating, feedback.comment) == (0, "Cites the right clause.")
    assert given == (TURNS[-1].key, COMMENT, "Cites the right clause.")


def test_a_second_click_replaces_the_first(store):
    *_, given = _send(store, "rag", UP, "Good.")
    status, *_, given = _send(store, "rag", DOWN, given=given)
    assert status == "Feedback changed: 👎 with your comment saved for question 2"
    (feedback,) = store.feedback()  # one per question and column
    assert (feedback.rating, feedback.comment) == (-1, "Good.")  # the comment it left out stays
    status, *_ = _send(store, "rag", COMMENT, "Too short.", given=given)
    assert status == "Feedback changed: 👎 with your comment saved for question 2"
    (feedback,) = store.feedback()
    assert (feedback.rating, feedback.comment) == (-1, "Too short.")  # a comment keeps the 👎


def test_feedback_on_another_question_or_column_is_new(store):
    *_, given = _send(store, "rag", UP, turns=TURNS[:1])
    status, *_ = _send(store, "rag", DOWN, given=given)  # a newer question: not a change
    assert status == "👎 saved for question 2"
    _send(store, "base", UP)
    rows = {(f.turn, f.column): f.rating for f in store.feedback()}
    assert rows == {
        (TURNS[0].key, "rag"): 1,
        (TURNS[1].key, "rag"): -1,
        (TURNS[1].key, "base"): 1,
    }


def _refused(store, message, *args, **kwargs) -> list:
    with pytest.warns(UserWarning, match=message):
        result = _send(store, *args, **kwargs)
    status, box, *_ = result
    assert status.startswith("**") and box != ""  # said under the buttons; the comment stays
    assert store.feedback() == [] and store.turns() == []
    return result


def test_a_comment_over_the_limit_is_refused_and_nothing_is_stored(store):
    long = "x" * (COMMENT_LIMIT + 1)
    status, box, session, given = _refused(store, "at most 500 characters", "rag", DOWN, long)
    assert f"this one has {COMMENT_LIMIT + 1}" in status
    assert box != "" and session == "s1" and given is None  # the comment stays to be shortened


def test_a_comment_at_the_limit_after_trimming_is_stored(store):
    _send(store, "rag", COMMENT, f"  {'x' * COMMENT_LIMIT}\n")
    assert len(store.feedback()[0].comment) == COMMENT_LIMIT


def test_a_column_that_did_not_answer_is_refused(store):
    # switched off for the latest question
    _refused(store, "The LoRA fine-tuned column did not answer the latest question", "lora", UP)
    failed = [_turn("Why?", failed="rag")]  # an error is no answer
    _refused(store, "RAG \\(retrieval\\) column did not answer", "rag", UP, turns=failed)


def test_no_question_yet_is_refused_and_makes_no_session(store):
    _, _, session, _ = _refused(store, "Ask a question first", "rag", UP, turns=[], session=None)
    assert session is None


def test_send_without_a_comment_is_refused(store):
    _refused(store, "Write a comment first", "rag", COMMENT, "   ")
