"""Evaluation without gold answers (issue #23, point 4): each answer's values looked up in the
evaluated documents (grounding/lookup.py), per column the share the documents support or
contradict, and, where gold answers exist, how far the check agrees with contains-gold.

The check runs over the records after every answer is in, so no answer's timing pays for it.
Every column is checked, also those that show no sources (base, LoRA, Retrained): the documents
are the judge, not the passages a column read. A decline is checked as stating no value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from evaluation.metrics import percentile
from grounding.lookup import Check, check_answer

if TYPE_CHECKING:
    from documents.index import Index
    from evaluation.run import Record  # run.py imports grounding_figures from here

IndexOf = Callable[[], "Index"]  # the evaluated documents' index, loaded when first asked for
TARGET_CORRECT_SUPPORTED = 0.85  # issue #23: of right answers' values, the share supported
TARGET_WRONG_FLAGGED = 0.60  # of wrong answers' values, the share contradicted or not found
TARGET_CHECK_P50_S = 1.0  # the check of all of a question's answers, after the last one (2 cores)


def ground(
    records: Sequence[Record], index: Index, stop: threading.Event | None = None
) -> list[Record]:
    """The records with their values looked up in `index`; a record with an error stays
    unchecked. Setting `stop` leaves the records not yet reached unchecked."""
    checks: dict[tuple[str, str], Check] = {}  # columns often give the same answer
    grounded = []
    for record in records:
        done = record.error is not None or (stop is not None and stop.is_set())
        grounded.append(record if done else _checked(record, index, checks))
    return grounded


def _checked(record: Record, index: Index, checks: dict[tuple[str, str], Check]) -> Record:
    if record.abstained:  # a decline claims nothing, whatever figures it repeats
        return replace(
            record, values_checked=0, values_supported=0, values_contradicted=0, check_s=0.0
        )
    key = (record.question, record.text)
    seconds = 0.0  # the time this record cost: nothing when the same answer was checked before
    if key not in checks:
        checks[key] = check_answer(index, record.question, record.text)
        seconds = checks[key].seconds
    check = checks[key]
    return replace(
        record,
        values_checked=len(check.marks),
        values_supported=check.supported,
        values_contradicted=check.contradicted,
        check_s=seconds,
    )


def ground_all(
    records: Sequence[Record], index: IndexOf | None, stop: threading.Event | None = None
) -> tuple[list[Record], str]:
    """`ground` with the index loaded first, and what was checked in words for the report's
    facts; `index` None (the check switched off) leaves every record unchecked, and so does a
    `stop` set before the check began (without loading the index)."""
    if index is None:
        return list(records), "off"
    if stop is not None and stop.is_set():
        return list(records), "skipped (the run was stopped)"
    started = time.perf_counter()
    grounded = ground(records, index(), stop)
    checked = sum(r.check_s is not None for r in grounded)
    values = sum(r.values_checked for r in grounded)
    seconds = time.perf_counter() - started
    return grounded, f"{values} values in {checked} of {len(grounded)} answers, {seconds:.1f} s"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def grounding_figures(rows: Sequence[Record]) -> dict[str, Any]:
    """One column's figures over its checked answers: the shares of their values supported
    and contradicted, and how many answers stated a value (each None where nothing was checked)."""
    checked = [r for r in rows if r.check_s is not None]
    values = sum(r.values_checked for r in checked)
    return {
        "grounded": _share(sum(r.values_supported for r in checked), values),
        "contradicted": _share(sum(r.values_contradicted for r in checked), values),
        "answers_with_values": sum(r.values_checked > 0 for r in checked) if checked else None,
        "values_checked": values if checked else None,
    }


def check_agreement(records: Sequence[Record]) -> dict[str, Any]:
    """The check against contains-gold, all columns together, over the answers to answerable
    questions that stated a checked value: precision and recall of "every value supported" as
    the call "right", and the issue's two targets (None where a share has nothing to count)."""
    rows = [
        r
        for r in records
        if r.answerable and r.error is None and r.check_s is not None and r.values_checked
    ]
    right = [r for r in rows if r.contains]
    wrong = [r for r in rows if not r.contains]
    called = [r for r in rows if r.values_supported == r.values_checked]
    return {
        **check_latency(records),
        "answers": len(rows),
        "precision": _share(sum(1 for r in called if r.contains), len(called)),
        "recall": _share(
            sum(1 for r in right if r.values_supported == r.values_checked), len(right)
        ),
        "correct_values_supported": _share(
            sum(r.values_supported for r in right), sum(r.values_checked for r in right)
        ),
        "wrong_values_flagged": _share(
            sum(r.values_checked - r.values_supported for r in wrong),
            sum(r.values_checked for r in wrong),
        ),
    }


def check_latency(records: Sequence[Record]) -> dict[str, Any]:
    """How long the check of one question's answers took, all columns in turn as the app's
    panels check them after the last answer (an answer the same as another column's is checked
    once, as there): p50 and p95 over the questions, in seconds (None where none was checked)."""
    per_question: dict[tuple[str, str], float] = {}
    for r in records:
        if r.check_s is not None:
            key = (r.id, r.question)
            per_question[key] = per_question.get(key, 0.0) + r.check_s
    times = list(per_question.values())
    return {
        "check_questions": len(times),
        "check_p50_s": percentile(times, 50) if times else None,
        "check_p95_s": percentile(times, 95) if times else None,
    }


def agreement_line(agreement: dict[str, Any]) -> str:
    """`check_agreement` in one sentence, for the log and the report."""
    if not agreement["answers"]:
        return (
            "Evidence check against gold: nothing to compare (no checked answer to an "
            "answerable question stated a value)."
        )

    def show(key: str) -> str:
        return "–" if agreement[key] is None else f"{agreement[key]:.2f}"

    return (
        f"Evidence check against gold, over {agreement['answers']} answers to answerable "
        "questions that stated values: “every value supported” agrees with contains-gold at "
        f"precision {show('precision')}, recall {show('recall')}; of correct answers' values "
        f"{show('correct_values_supported')} supported (target ≥ {TARGET_CORRECT_SUPPORTED:.2f}), "
        f"of wrong answers' values {show('wrong_values_flagged')} contradicted or not found "
        f"(target ≥ {TARGET_WRONG_FLAGGED:.2f}).{_latency_words(agreement)}"
    )


def _latency_words(agreement: dict[str, Any]) -> str:
    if agreement.get("check_p50_s") is None:
        return ""
    return (
        f" The check of a question's answers took {agreement['check_p50_s']:.2f} s p50, "
        f"{agreement['check_p95_s']:.2f} s p95 (target ≤ {TARGET_CHECK_P50_S:.1f} s p50)."
    )
