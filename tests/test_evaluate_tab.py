"""The Evaluate tab's helpers without a browser: how many questions a run asks, from which
set, what a visitor may read of an error, and the evidence check after the answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.run import load_questions
from ui.evaluate_tab import _failure, _message, _plan, _questions, _run, _running, _sets


def _set(path: Path, count: int, answerable: bool = True) -> Path:
    rows = (
        {"question": f"{path.stem} {n}?", "answers": ["x"] if answerable else []}
        for n in range(count)
    )
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture
def two_sets(tmp_path) -> dict[str, list[dict]]:
    test = _set(tmp_path / "test.jsonl", 8)
    none = _set(tmp_path / "unanswerable.jsonl", 2, answerable=False)
    return {p.name: load_questions([p]) for p in (test, none)}


def test_the_count_is_the_total_taken_in_turn_from_each_set(two_sets):
    items, capped = _questions(two_sets, 3, cap=0)
    assert len(items) == 3 and not capped  # not 3 per set (6 in all)
    assert [i["answers"] != [] for i in items] == [True, False, True]
    assert len(_questions(two_sets, 0, cap=0)[0]) == 10  # 0 = every question
    assert len(_questions(two_sets, 6, cap=0)[0]) == 6  # a short set runs out, the other fills
    items, capped = _questions(two_sets, 0, cap=4)
    assert len(items) == 4 and capped
    with pytest.raises(ValueError, match="whole number"):
        _questions(two_sets, float("inf"), cap=0)


def test_the_plan_says_what_run_will_ask_before_it_starts(tmp_path):
    upload = _set(tmp_path / "mine.jsonl", 12)
    assert _plan(str(upload), 3, cap=0) == (
        "Will ask **3 questions**: 3 of the 12 in mine.jsonl; each to every column."
    )
    assert _plan(str(upload), 0, cap=5).startswith(
        "Will ask **5 questions** (capped at 5 for visitors): 5 of the 12 in mine.jsonl"
    )
    default = _plan(None, 3, cap=40)  # the shipped sets: test split and unanswerable questions
    assert default.startswith("Will ask **3 questions**: 2 of the ")
    assert "in test.jsonl, 1 of the " in default and default.count(" in ") == 2


def test_errors_shown_to_a_visitor_name_no_server_folder(tmp_path):
    missing = tmp_path / "uploads" / "gone.jsonl"
    with pytest.raises(OSError) as caught:
        _sets(str(missing))
    assert _message(caught.value) == "gone.jsonl: No such file or directory"
    assert str(tmp_path) not in _plan(str(missing), 3, cap=0)
    assert str(tmp_path) not in _failure(caught.value)
    bug = KeyError(f"{tmp_path}/secret")
    assert _failure(bug) == "an unexpected error (KeyError); the server log has the details."


class _NoPassages:
    """An index in which nothing is found: every value an answer states is "not found"."""

    def hybrid_search(self, query: str, k: int) -> list:
        return []


def test_a_run_checks_the_answers_values_once_they_are_in(fake_pipelines, fake_config):
    import threading

    item = {"id": "q1", "question": "Notice period?", "answers": ["60 days"]}

    def summary_of(index) -> dict:
        rows = list(_run([item], fake_pipelines, fake_config, threading.Event(), "x", "", index))
        summary_json = next(p for p in rows[-1][3] if p.endswith("summary.json"))
        return json.loads(Path(summary_json).read_text())

    checked = summary_of(lambda: _NoPassages())
    rag = checked["pipelines"]["rag"]  # "RAG says 60 days. (turn 1)": two values, none found
    assert (rag["answers_with_values"], rag["values_checked"], rag["grounded"]) == (1, 2, 0.0)
    assert checked["meta"]["evidence check"].startswith("6 values in 3 of 3 answers")
    unchecked = summary_of(None)  # an app without an index of the evaluated documents
    assert unchecked["pipelines"]["rag"]["grounded"] is None
    assert unchecked["meta"]["evidence check"] == "off"
    assert "looking up their values" in _running(3, 3, "", stopping=False, checking=True)
    assert "looking up" not in _running(3, 3, "", stopping=True, checking=True)
