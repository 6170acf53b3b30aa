"""Cost arithmetic, break-even, upkeep, the plot's length and the adapter's training snapshot,
against hand-computed values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from common.config import Config
from documents.chunks import CorpusFile
from pipelines.core import Answer
from training.runs import document_hashes, staleness
from ui.cost_model import (
    FALLBACK_HORIZON,
    Usage,
    break_even,
    curve,
    horizon,
    plot_points,
    project,
    retrain_record,
    training_cost,
    upkeep_per_question,
    usage_of,
)
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


def test_the_plot_runs_to_about_three_times_the_break_even():
    assert horizon(422.3) == 1300  # 3 × 422.3 = 1267, rounded up to two digits
    assert horizon(5_000) == 15_000 and horizon(2) == 10  # at least 10 questions
    assert horizon(None) == FALLBACK_HORIZON and horizon(0.0) == FALLBACK_HORIZON


def test_each_document_edit_costs_one_retraining_spread_over_the_months_questions():
    assert upkeep_per_question(0.02, 4, 10_000) == pytest.approx(8e-6)
    assert upkeep_per_question(0.02, 0, 10_000) == 0.0
    usage = {"rag": Usage(426, 6, 1), "lora": Usage(126, 6, 1), "base": Usage(126, 6, 1)}
    first, update = {"wall_s": 600.0}, {"wall_s": 72.0, "refresh": {}}
    cost = project(usage, {"lora": first}, {"lora": update}, (0.15, 0.60, 0.10), 4, 1_000)
    retrain = 72.0 / 3600 * 0.10  # one update at 0.10 per hour
    assert cost.one_off == {"lora": pytest.approx(600 / 3600 * 0.10)}
    assert cost.upkeep == {"lora": pytest.approx(retrain * 4 / 1_000)}
    assert cost.total["lora"] == pytest.approx(cost.per_answer["lora"] + retrain * 4 / 1_000)
    assert cost.total["rag"] == cost.per_answer["rag"]  # RAG follows edits without training
    saving = cost.per_answer["rag"] - cost.total["lora"]
    n = break_even(cost.total, cost.one_off, "lora", "rag")
    assert n == pytest.approx(cost.one_off["lora"] / saving)
    points = plot_points(cost.total, cost.one_off, {"lora": "LoRA"}, 1000, n)
    lora = [p for p in points if p["approach"] == "LoRA"]
    assert lora[-1]["total cost"] == pytest.approx(cost.one_off["lora"] + 1000 * cost.total["lora"])


def test_a_retraining_costs_the_served_update_else_the_first_training(tmp_path):
    first, update = tmp_path / "first", tmp_path / "refresh-1"
    for folder, run in ((first, {"wall_s": 585.4}), (update, {"wall_s": 67.7, "refresh": {}})):
        folder.mkdir()
        (folder / "run.json").write_text(json.dumps(run))
    assert retrain_record(first, update)["wall_s"] == 67.7
    assert retrain_record(first, first)["wall_s"] == 585.4  # no update measured yet
    assert retrain_record(tmp_path / "none", tmp_path / "none") == {}


def _usage_with_a_break_even() -> dict[str, Usage]:
    return {"base": Usage(126, 6, 1), "rag": Usage(426, 6, 1), "lora": Usage(126, 6, 1)}


def _adapter(folder, run: dict) -> str:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    (folder / "run.json").write_text(json.dumps(run))
    return str(folder)


def test_the_costs_tab_plots_three_times_the_break_even_and_prices_the_upkeep(tmp_path):
    from ui.cost_tab import Settings, _figures

    adapter = _adapter(tmp_path / "lora", {"wall_s": 600.0, "hardware": "a test machine"})
    config = Config(data_dir=str(tmp_path / "data"), adapter=adapter)
    titles = {"base": "Base", "rag": "RAG", "lora": "LoRA"}
    summary, points = _figures(
        _usage_with_a_break_even(),
        "a test",
        titles,
        config,
        Settings(0.15, 0.60, 0.10, 4, 10_000, 0),
    )
    n = float(re.search(r"from question \*\*([\d,]+)\*\*", summary).group(1).replace(",", ""))
    assert points["questions"].max() == horizon(n)  # not the old fixed 10,000
    assert 2.5 * n <= points["questions"].max() <= 3.5 * n
    assert f"Plotted to {horizon(n):,} questions, about 3× the break-even" in summary
    assert "4 document edits per month, each a retraining" in summary
    assert "10.0 min measured for its first training" in summary  # the adapter's run.json
    # The LoRA line carries the retraining: more edits, a higher line and a later break-even.
    ends, breaks = {}, {}
    for edits in (0, 4, 8):
        text, rows = _figures(
            _usage_with_a_break_even(),
            "a test",
            titles,
            config,
            Settings(0.15, 0.60, 0.10, edits, 10_000, 500),
        )
        lora = rows[rows["approach"] == "LoRA"]
        assert lora["questions"].max() == 500 and "Plotted to 500 questions, as set." in text
        ends[edits] = lora["total cost"].iloc[-1]
        found = re.search(r"from question \*\*([\d,]+)\*\*", text)
        breaks[edits] = float(found.group(1).replace(",", ""))
    retrain = 600 / 3600 * 0.10  # the adapter's measured training, at 0.10 per hour
    assert ends[4] - ends[0] == pytest.approx(500 * retrain * 4 / 10_000)
    assert ends[8] - ends[0] == pytest.approx(500 * retrain * 8 / 10_000)
    assert breaks[0] < breaks[4] < breaks[8]


def test_the_costs_tab_prices_a_retraining_as_the_update_the_app_serves(tmp_path):
    from serving.weights import write_active
    from ui.cost_tab import Settings, _figures

    config = Config(
        data_dir=str(tmp_path / "data"), adapter=_adapter(tmp_path / "lora", {"wall_s": 600.0})
    )
    update = tmp_path / "data" / "adapters" / "refresh-20261201-100000"
    write_active(config, Path(_adapter(update, {"wall_s": 72.0, "refresh": {}})), config)
    summary, _ = _figures(
        _usage_with_a_break_even(),
        "a test",
        {},
        config,
        Settings(0.15, 0.60, 0.10, 4, 10_000, 0),
    )
    assert "1.2 min measured for its last update after an edit" in summary
    assert "**LoRA training:** 10.0 min measured" in summary  # the one-off: the first training
