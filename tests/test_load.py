"""The load test's sessions against the app with fake pipelines: counting, errors, time limit,
percentiles; and the app started as a subprocess when it cannot start."""

from __future__ import annotations

import re

import pytest

from benchmarks.apps import free_port, start_app
from benchmarks.load import Outcome, run_sessions, summarize, table
from tests.conftest import FakePipeline


def _serve(pipelines, config):
    from app import build_app

    port = free_port()
    demo = build_app(pipelines, config)
    demo.queue(default_concurrency_limit=4).launch(
        server_port=port, prevent_thread_lock=True, quiet=True
    )
    return demo, f"http://127.0.0.1:{port}/"


def test_concurrent_sessions_are_all_answered_in_one_conversation_each(fake_pipelines, fake_config):
    hidden = FakePipeline("rag_lora", "RAG + reader fine-tune", "Both say 60 days.", optional=True)
    demo, url = _serve([*fake_pipelines, hidden], fake_config)
    try:
        outcomes, wall_s = run_sessions(url, ["q1", "q2", "q3"], 4, 2, seconds=60)
    finally:
        demo.close()
    report = {"sessions": 4, "per_session": 2} | summarize(outcomes, 8, wall_s)
    assert (report["answered"], report["success_rate"], report["errors"]) == (8, 1.0, {})
    assert [o.question for o in outcomes if o.session == 1] == ["q3", "q1"]
    assert 0 < report["p50_s"] <= report["p95_s"] and report["answers_per_s"] > 0
    assert "| success rate | 100% |" in table(report)


def test_a_failing_column_and_the_time_limit_are_counted_by_message(fake_pipelines, fake_config):
    broken = FakePipeline("rag", "RAG (retrieval)", "", fail="pipeline")
    demo, url = _serve([fake_pipelines[0], broken, fake_pipelines[2]], fake_config)
    try:
        outcomes, wall_s = run_sessions(url, ["q1"], 3, 2, seconds=60)
        late, _ = run_sessions(url, ["q1"], 2, 3, seconds=0.001)
    finally:
        demo.close()
    report = summarize(outcomes, 6, wall_s)
    message = "RAG (retrieval): RAG (retrieval) is switched off for this test"
    assert report["errors"] == {message: 6} and report["success_rate"] == 0.0
    assert report["p50_s"] is None and f"| error ×6 | {message} |" in table(
        {"sessions": 3, "per_session": 2} | report
    )
    assert late == []  # the limit passed while the sessions connected: nothing was asked


@pytest.mark.parametrize("questions", [1, 5])
def test_each_session_gets_different_questions(questions):
    from benchmarks.load import _pick

    picked = [_pick(["a", "b", "c", "d", "e"], s, questions) for s in range(5)]
    assert sum(len(set(p)) for p in picked) == 5 * questions
    assert {q for p in picked for q in p} == {"a", "b", "c", "d", "e"}


def test_the_p95_interpolates_between_the_two_closest_answers():
    outcomes = [Outcome(0, "q", float(seconds)) for seconds in range(1, 21)]
    report = summarize(outcomes, 20, wall_s=10.0)
    # Linear interpolation (numpy's default): the nearest answer alone would give 19.0.
    assert report["p50_s"] == pytest.approx(10.5) and report["p95_s"] == pytest.approx(19.05)


def test_an_app_that_exits_while_starting_is_reported_with_its_log(tmp_path):
    log_path = tmp_path / "app.log"
    expected = re.escape(f"the app exited with code 2; see {log_path}")
    with pytest.raises(RuntimeError, match=expected):
        start_app({"APP_ENGINE": "nope", "APP_DATA_DIR": str(tmp_path)}, log_path, timeout_s=60)
    assert "APP_ENGINE='nope' is invalid" in log_path.read_text()
