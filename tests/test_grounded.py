"""Evaluation without gold answers (evaluation/grounded.py): every answer's values looked up in a
tiny made-up corpus indexed with the real embedder, the per-column shares, and the agreement of
the check with contains-gold on hand-made counts."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from evaluation.grounded import (
    agreement_line,
    check_agreement,
    ground,
    ground_all,
    grounding_figures,
)
from evaluation.run import Record, summarize
from tests.conftest import made_up_corpus

DOCS = {
    "zorblat.md": """# Zorblat Gateway Manual

## Warranty
The Zorblat warranty lasts 41 months from the date of delivery. Repairs under warranty are free.
""",
    "quillon.md": """# Quillon Services Agreement

## Notice
Either party may end this agreement with 60 days of written notice to Quillon Legal.
""",
}
WARRANTY = "How long is the Zorblat warranty?"
NOTICE = "Can the Quillon agreement end with 30 days of notice?"


@pytest.fixture(scope="module")
def corpus_config(tmp_path_factory: pytest.TempPathFactory, real_config):
    """The real configuration over the made-up documents, with a data folder of its own."""
    return made_up_corpus(tmp_path_factory.mktemp("grounded"), DOCS, real_config)


@pytest.fixture(scope="module")
def index(corpus_config) -> object:
    """The index of the made-up documents, built with the real (small) embedder."""
    from pipelines.resources import Resources

    return Resources(corpus_config).index()


def record(pipeline: str, question: str, text: str, **extra) -> Record:
    return Record(pipeline, f"{question}-{pipeline}", question, ["41 months"], text, **extra)


ANSWERS = [
    record("rag", WARRANTY, "The warranty lasts 41 months."),
    record("lora", WARRANTY, "The warranty lasts 36 months."),
    record("lora", WARRANTY, "The documents do not say; 41 months?", abstained=True),
    record("rag", NOTICE, "No, not with 30 days."),  # its only value is the question's
    record("base", WARRANTY, "", error="switched off"),
    record("base", WARRANTY, "The warranty lasts 41 months."),  # as rag's: looked up once
]


def counts(r: Record) -> tuple[int, int, int]:
    return r.values_checked, r.values_supported, r.values_contradicted


def test_every_answer_is_checked_after_the_fact(index):
    rag, lora, declined, asked, error, base = ground(ANSWERS, index)
    assert counts(rag) == (1, 1, 0) and rag.check_s > 0
    assert counts(lora) == (1, 0, 1)
    assert counts(declined) == (0, 0, 0) and declined.check_s == 0.0
    assert counts(asked) == (0, 0, 0) and asked.check_s is not None
    assert error == ANSWERS[4] and error.check_s is None
    assert counts(base) == (1, 1, 0) and base.check_s == 0.0  # the same answer, not searched again
    # only what the check adds changes: the answers and their timings stay as they were
    assert [
        replace(r, values_checked=0, values_supported=0, values_contradicted=0, check_s=None)
        for r in (rag, lora, base)
    ] == [ANSWERS[0], ANSWERS[1], ANSWERS[5]]

    summary = summarize([rag, lora, declined, asked, error, base])
    assert {k: summary["rag"][k] for k in ("grounded", "contradicted", "answers_with_values")} == {
        "grounded": 1.0,
        "contradicted": 0.0,
        "answers_with_values": 1,
    }
    assert (summary["lora"]["grounded"], summary["lora"]["contradicted"]) == (0.0, 1.0)
    assert summary["lora"]["answers_with_values"] == 1


def test_a_stop_leaves_the_rest_unchecked(index):
    import threading

    stop = threading.Event()
    stop.set()
    assert ground(ANSWERS, index, stop) == ANSWERS

    def no_index():
        raise AssertionError("a stopped run loads no index")

    assert ground_all(ANSWERS, no_index, stop) == (ANSWERS, "skipped (the run was stopped)")


def test_with_the_check_off_nothing_is_looked_up():
    records, said = ground_all(ANSWERS, None)
    assert records == ANSWERS and said == "off"
    assert all(counts(r) == (0, 0, 0) and r.check_s is None for r in records)
    assert grounding_figures(records) == {
        "grounded": None,
        "contradicted": None,
        "answers_with_values": None,
        "values_checked": None,
    }


def test_the_evaluation_run_writes_the_check(index, corpus_config, fake_pipelines, tmp_path):
    from evaluation.outputs import run_and_write

    item = {
        "id": "q1",
        "question": "How much notice ends the Quillon agreement?",
        "answers": ["60 days"],
    }
    summary, paths = run_and_write(
        fake_pipelines, [item], corpus_config, tmp_path / "on", index=lambda: index
    )
    # base says 120 days, rag and lora 60 days; every fake adds "(turn 1)", found nowhere
    rows = json.loads(paths["answers_json"].read_text())
    assert [(r["pipeline"], *counts(Record(**r))) for r in rows] == [
        ("base", 2, 0, 1),
        ("rag", 2, 1, 0),
        ("lora", 2, 1, 0),
    ]
    assert (summary["rag"]["grounded"], summary["base"]["contradicted"]) == (0.5, 0.5)
    saved = json.loads(paths["summary_json"].read_text())
    check = saved["grounding_check"]
    # the three answers to the one question, checked in turn as the app checks them
    assert check.pop("check_questions") == 1
    assert check.pop("check_p50_s") == check.pop("check_p95_s") > 0
    assert check == {
        "answers": 3,
        "precision": None,  # no answer had every value supported
        "recall": 0.0,
        "correct_values_supported": 0.5,
        "wrong_values_flagged": 1.0,
    }
    assert "values in 3 of 3 answers" in saved["meta"]["evidence check"]
    assert "Evidence check against gold" in paths["report_html"].read_text()

    summary, paths = run_and_write(fake_pipelines, [item], corpus_config, tmp_path / "off")
    rows = json.loads(paths["answers_json"].read_text())
    assert [r["check_s"] for r in rows] == [None] * 3 and summary["rag"]["grounded"] is None
    assert json.loads(paths["summary_json"].read_text())["meta"]["evidence check"] == "off"


def test_the_command_line_switches_the_check():
    from scripts.evaluate import parse_args

    assert parse_args([]).grounding == 1
    assert parse_args(["--grounding", "0"]).grounding == 0
    with pytest.raises(SystemExit):
        parse_args(["--grounding", "2"])


def counted(contains: float, checked: int, supported: int, answers=("x",), **extra) -> Record:
    return Record(
        "rag",
        "q",
        "q?",
        list(answers),
        "a",
        contains=contains,
        check_s=0.1,
        values_checked=checked,
        values_supported=supported,
        **extra,
    )


def test_the_agreement_with_gold_by_hand():
    records = [
        counted(1.0, 2, 2),  # right, every value supported: the check says right
        counted(1.0, 1, 1),  # the same
        counted(1.0, 2, 1),  # right, one value not found: the check says wrong
        counted(0.0, 1, 1),  # wrong, yet every value supported
        counted(0.0, 1, 1),
        counted(0.0, 3, 0, values_contradicted=1),  # wrong, every value flagged
        counted(0.0, 0, 0),  # states no value: not counted
        counted(0.0, 2, 0, answers=()),  # unanswerable: no gold to agree with
        counted(1.0, 2, 2, error="failed"),
        replace(counted(1.0, 0, 0), check_s=None),  # not checked
    ]
    agreement = check_agreement(records)
    # one question: the nine checked answers' 0.1 s each, in turn
    assert agreement.pop("check_questions") == 1
    assert agreement.pop("check_p50_s") == agreement.pop("check_p95_s") == pytest.approx(0.9)
    assert agreement == {
        "answers": 6,
        "precision": pytest.approx(2 / 4),  # of the 4 the check calls right, 2 contain gold
        "recall": pytest.approx(2 / 3),  # of the 3 that contain gold, the check calls 2 right
        "correct_values_supported": pytest.approx(4 / 5),
        "wrong_values_flagged": pytest.approx(3 / 5),
    }
    line = agreement_line(agreement)
    assert "over 6 answers" in line and "precision 0.50, recall 0.67" in line
    assert "0.80 supported (target ≥ 0.85)" in line and "0.60 contradicted or not found" in line
    timed = agreement_line({**agreement, "check_p50_s": 0.9, "check_p95_s": 1.2})
    assert "took 0.90 s p50, 1.20 s p95 (target ≤ 1.0 s p50)" in timed
    assert "nothing to compare" in agreement_line(check_agreement(records[6:]))
