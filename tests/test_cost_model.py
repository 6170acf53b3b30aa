"""Cost arithmetic, break-even and the adapter's training snapshot, against hand-computed values."""

from __future__ import annotations

import json

import pytest

from documents.chunks import CorpusFile
from pipelines.core import Answer
from training.runs import document_hashes, staleness
from ui.cost_model import Usage, break_even, curve, training_cost, usage_of
from ui.notes import describe


def test_usage_is_the_mean_over_complete_answers():
    answers = [
        Answer("rag", prompt_tokens=600, completion_tokens=30, done=True),
        Answer("rag", prompt_tokens=700, completion_tokens=50, done=True),
        Answer("rag", prompt_tokens=999, completion_tokens=9),  # still streaming: ignored
        Answer("base", prompt_tokens=40, completion_tokens=80, done=True),
    ]
    usage = usage_of(answers)
    assert usage["rag"] == Usage(650, 40, 2) and usage["base"] == Usage(40, 80, 1)
    assert usage["rag"].cost(0.15, 0.60) == pytest.approx((650 * 0.15 + 40 * 0.60) / 1e6)


def test_break_even_is_the_one_off_cost_over_the_saving_per_answer():
    per_answer = {"rag": 0.0001, "lora": 0.00002, "base": 0.00003}
    one_off = {"lora": training_cost(610.5, 0.10)}  # 610.5 s at 0.10 per hour
    assert one_off["lora"] == pytest.approx(0.016958, abs=1e-6)
    n = break_even(per_answer, one_off, "lora", "rag")
    assert n == pytest.approx(0.016958 / 0.00008, rel=1e-3)  # about 212 questions
    assert break_even({"rag": 1e-5, "lora": 2e-5}, one_off, "lora", "rag") is None
    assert break_even({"rag": 1e-5, "lora": 1e-5}, {}, "lora", "rag") == 0.0
    rows = curve(per_answer, one_off, {"lora": "LoRA"}, questions=1000, points=3)
    lora = [r for r in rows if r["approach"] == "LoRA"]
    assert [r["questions"] for r in lora] == [0, 500, 1000]
    assert lora[-1]["total cost"] == pytest.approx(one_off["lora"] + 1000 * 0.00002)


def test_staleness_names_what_changed_since_training():
    trained = [CorpusFile("a.md", "# A\none"), CorpusFile("b.md", "# B\ntwo")]
    run = json.loads(
        json.dumps(
            {
                "trained_at": "2026-11-25T16:00:39+00:00",
                "corpus_hash": "c65bad",
                "documents": document_hashes(trained),
            }
        )
    )
    assert staleness(run, trained).count == 0
    assert "all 2 documents unchanged" in describe(staleness(run, trained), 2)
    now = [CorpusFile("a.md", "# A\nONE"), CorpusFile("c.md", "# C\nnew")]
    stale = staleness(run, now)
    assert (stale.changed, stale.added, stale.removed) == (("a.md",), ("c.md",), ("b.md",))
    assert "since then 1 changed, 1 added, 1 removed" in describe(stale, 2)
    assert not staleness({"trained_at": "x"}, now).known
