"""Paired tests between columns: exact McNemar p-values checked by hand, bootstrap intervals of
the accuracy difference, the rows built from hand-made records, and their place in summary.json
and the report. Model-free and seeded: about a second."""

from __future__ import annotations

import json
import warnings
from math import comb

import pytest

from evaluation.outputs import write_outputs
from evaluation.run import Record, summarize
from evaluation.significance import (
    ALL,
    MIN_QUESTIONS,
    compare_pipelines,
    mcnemar,
    paired_difference,
    significance_html,
    significance_table,
)


def _discordant(a_only: int, b_only: int, both: int = 0) -> tuple[list[bool], list[bool]]:
    """Outcomes with `a_only` questions right in a only, `b_only` in b only, `both` in both."""
    a = [True] * a_only + [False] * b_only + [True] * both
    b = [False] * a_only + [True] * b_only + [True] * both
    return a, b


def test_mcnemar_exact_p_matches_the_binomial_by_hand():
    test = mcnemar(*_discordant(1, 9, both=5))
    assert (test.n, test.a_only, test.b_only) == (15, 1, 9)
    # two-sided: 2 * P(X <= 1) for X ~ Bin(10, 1/2) = 2 * (1 + 10) / 1024
    assert test.p_value == pytest.approx(2 * (comb(10, 0) + comb(10, 1)) / 2**10)
    assert test.p_value == pytest.approx(0.021484375)
    assert (test.accuracy_a, test.accuracy_b) == pytest.approx((6 / 15, 14 / 15))
    assert mcnemar(*_discordant(5, 5)).p_value == pytest.approx(1.0)  # a perfectly even split
    # 0 of 6 one way: 2 * (1/2)^6
    assert mcnemar(*_discordant(0, 6)).p_value == pytest.approx(2 / 64)
    assert mcnemar(*_discordant(0, 0, both=4)).p_value == 1.0  # nothing discordant


def test_paired_tests_refuse_unpaired_outcomes():
    for test in (mcnemar, paired_difference):
        with pytest.raises(ValueError, match="same questions"):
            test([True, False], [True])
        with pytest.raises(ValueError, match="at least one"):
            test([], [])


def test_the_bootstrap_interval_backs_a_clear_difference():
    # a right on 40 of 50, b on 10 of 50; 5 of b's 10 are also right in a
    a = [True] * 40 + [False] * 10
    b = [False] * 35 + [True] * 10 + [False] * 5
    result = paired_difference(a, b)
    assert result.n == 50 and result.difference == pytest.approx(0.6)
    assert 0 < result.low < 0.6 < result.high < 1
    assert result == paired_difference(a, b)  # seeded
    reverse = paired_difference(b, a)
    assert reverse.difference == pytest.approx(-0.6) and reverse.high < 0


def test_a_small_difference_on_few_questions_is_not_backed():
    a, b = _discordant(3, 2, both=5)
    result = paired_difference(a, b)
    assert result.low < 0 < result.high
    assert mcnemar(a, b).p_value == pytest.approx(1.0)


def test_identical_columns_give_a_zero_width_interval_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = paired_difference([True, False, True], [True, False, True])
        one = paired_difference([True], [False])
        shifted = paired_difference([True, True], [False, False])
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    assert (one.n, one.difference, one.low, one.high) == (1, 1.0, 1.0, 1.0)
    assert (shifted.low, shifted.high) == (1.0, 1.0)


def _record(pipeline: str, number: int, kind: str, right: bool, error: str | None = None):
    """A scored answer: right = contains gold (answerable) or declined (unanswerable)."""
    answerable = kind != "unanswerable"
    return Record(
        pipeline=pipeline,
        id=f"{kind}-{number}",
        question=f"{kind} question {number}?",
        answers=["60 days"] if answerable else [],
        text="60 days" if right and answerable else "I don't know" if right else "120 days",
        contains=float(right and answerable),
        abstained=right and not answerable,
        kind=kind,
        error=error,
    )


def _records() -> list[Record]:
    """lora right on 8 of 8 period questions, base on 2; 3 name questions (too few for a row);
    6 unanswerable ones, which rag declines and the others answer; one base error."""
    rows = []
    for n in range(8):
        rows += [_record("base", n, "period", n < 2), _record("lora", n, "period", True)]
        rows.append(_record("rag", n, "period", n % 2 == 0))
    for n in range(3):
        rows += [_record(name, n, "name", n == 0) for name in ("base", "lora", "rag")]
    for n in range(6):
        rows += [_record(name, n, "unanswerable", name == "rag") for name in ("base", "lora")]
        rows.append(_record("rag", n, "unanswerable", True))
    rows.append(_record("base", 99, "number", False, error="switched off"))
    rows.append(_record("lora", 99, "number", True))
    return rows


def test_compare_pipelines_pairs_types_and_unanswerable_questions():
    rows = compare_pipelines(_records(), ["lora", "base", "rag"])
    assert [(r.a, r.b, r.kind) for r in rows] == [
        (a, b, kind)
        for a, b in (("lora", "base"), ("lora", "rag"), ("base", "rag"))
        for kind in (ALL, "period", "unanswerable")
    ]  # "name" has 3 < MIN_QUESTIONS questions, "number" only one answer without an error
    assert MIN_QUESTIONS > 3
    by = {(r.a, r.b, r.kind): r for r in rows}
    overall = by["lora", "base", ALL]  # 8 period + 3 name; the errored question left out
    assert (overall.n, overall.a_right, overall.b_right) == (11, 9, 3)
    assert (overall.a_only, overall.b_only) == (6, 0)
    assert overall.difference == pytest.approx(6 / 11) and overall.low > 0
    assert overall.p_value == pytest.approx(2 / 2**6)
    declines = by["base", "rag", "unanswerable"]  # right = declined
    assert (declines.n, declines.a_right, declines.b_right, declines.b_only) == (6, 0, 6, 6)
    assert declines.difference == -1.0 and declines.high == -1.0
    assert [r.kind for r in compare_pipelines(_records(), by_type=False)] == [ALL] * 3
    assert compare_pipelines(_records(), ["base"]) == []


def test_the_tables_show_every_row_and_say_when_there_is_nothing():
    rows = compare_pipelines(_records(), ["lora", "base"])
    table = significance_table(rows)
    assert table.splitlines()[0].startswith("| pair | type | n |")
    assert "| lora vs base | all answerable | 11 | 9 | 3 | 6 | 0 | 0.031 | +0.55 [" in table
    assert len(table.splitlines()) == 2 + len(rows)
    page = significance_html(rows)
    assert page.count("<tr>") == 1 + len(rows) and "McNemar p" in page
    assert "nothing to compare" in significance_table([])
    assert "nothing to compare" in significance_html([])


def test_summary_json_and_the_report_hold_the_paired_tests(tmp_path):
    records = _records()
    paths = write_outputs(tmp_path, records, summarize(records), {"questions": 18})
    saved = json.loads(paths["summary_json"].read_text())
    assert len(saved["significance"]) == 9
    first = saved["significance"][0]
    assert (first["a"], first["b"], first["kind"]) == ("base", "lora", ALL)
    assert first["p_value"] == pytest.approx(2 / 2**6) and first["high"] < 0
    report = paths["report_html"].read_text()
    assert "<h2>Differences between columns: paired tests</h2>" in report
    assert "base vs lora" in report and "unanswerable" in report
