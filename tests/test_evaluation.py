"""Evaluation bookkeeping on hand-made answers: per-answer scores and per-pipeline summaries."""

from __future__ import annotations

import csv
import json

import pytest

from evaluation.outputs import write_outputs
from evaluation.report import summary_table
from evaluation.run import evaluate, score_answer, summarize
from pipelines.core import Answer, Source
from tests.conftest import FakePipeline

ITEM = {
    "id": "q1",
    "question": "Notice period?",
    "answers": ["60 days"],
    "source": "legal/terms.md",
}
NONE = {"id": "q2", "question": "Who is the CEO?", "answers": []}


def _answer(name, text, docs=(), prompt=10, **extra):
    sources = tuple(
        Source(document=d, section="s", text=t, score=0.5, rank=i)
        for i, (d, t) in enumerate(docs, start=1)
    )
    return Answer(
        pipeline=name,
        text=text,
        sources=sources,
        prompt_tokens=prompt,
        completion_tokens=5,
        total_s=1.0,
        first_token_s=0.2,
        cost=0.001,
        done=True,
        **extra,
    )


def test_retrieval_rank_and_passages_holding_the_answer():
    docs = [
        ("manual/a.md", "nothing"),
        ("legal/terms.md", "notice of 60 days"),
        ("legal/terms.md", "x"),
    ]
    record = score_answer("rag", ITEM, _answer("rag", "It is 60 days.", docs))
    assert record.gold_rank == 2
    assert record.passages_hold_answer is True
    assert (record.exact_match, record.contains) == (0.0, 1.0)
    assert record.f1 == pytest.approx(2 / 3)  # "it is 60 days": P=2/4, R=2/2


def test_summary_by_hand():
    records = [
        score_answer("base", ITEM, _answer("base", "120 days", prompt=10)),
        score_answer("base", NONE, _answer("base", "John Smith", prompt=8)),
        score_answer(
            "rag", ITEM, _answer("rag", "60 days", [("legal/terms.md", "60 days")], prompt=210)
        ),
        score_answer(
            "rag",
            NONE,
            _answer(
                "rag",
                "The documents do not contain the answer.",
                [("manual/a.md", "x")],
                prompt=108,
            ),
        ),
    ]
    summary = summarize(records, price_input_per_m=0.5)
    assert summary["base"]["exact_match"] == 0.0 and summary["rag"]["exact_match"] == 1.0
    assert summary["base"]["f1"] == pytest.approx(0.5)  # "120 days" vs "60 days": P=R=1/2
    assert summary["rag"]["abstention_rate"] == 1.0 and summary["base"]["abstention_rate"] == 0.0
    assert summary["rag"]["false_abstention_rate"] == 0.0
    assert summary["rag"]["recall_at_k"] == 1.0 and summary["rag"]["mrr"] == 1.0
    assert summary["base"]["recall_at_k"] is None  # no retrieval, no retrieval metric
    assert summary["rag"]["context_overhead_tokens"] == pytest.approx(((210 - 10) + (108 - 8)) / 2)
    assert summary["rag"]["context_overhead_cost_per_1000"] == pytest.approx(150 * 0.5 / 1000)
    assert summary["rag"]["passages_hold_answer"] == 1.0
    assert summary["rag"]["cost_per_1000"] == pytest.approx(1.0)
    assert summary["rag"]["latency_p50_s"] == 1.0
    assert "| rag | 1.000 |" in summary_table(summary)


def test_evaluate_runs_every_pipeline_isolates_errors_and_can_stop(fake_pipelines, tmp_path):
    broken = FakePipeline("lora", "LoRA", "", fail="pipeline")
    progress = []
    records = evaluate(
        [*fake_pipelines[:2], broken],
        [ITEM, NONE],
        progress=lambda done, total: progress.append((done, total)),
    )
    assert len(records) == 6 and progress[-1] == (6, 6)
    assert [r.error is not None for r in records if r.pipeline == "lora"] == [True, True]
    summary = summarize(records)
    assert summary["lora"]["errors"] == 2 and summary["lora"]["answers"] == 0
    paths = write_outputs(tmp_path, records, summary, {"questions": 2})
    assert len(json.loads(paths["answers_json"].read_text())) == 6
    with paths["answers_csv"].open() as handle:
        assert len(list(csv.DictReader(handle))) == 6
    assert json.loads(paths["summary_json"].read_text())["meta"] == {"questions": 2}

    import threading

    stop = threading.Event()
    stop.set()
    assert evaluate(fake_pipelines, [ITEM, NONE], stop=stop) == []


def test_question_sets_are_checked_line_by_line(tmp_path):
    from evaluation.run import load_questions

    good = tmp_path / "good.jsonl"
    good.write_text('{"question": "a?", "answers": ["x"]}\n\n{"question": "b?", "answers": []}\n')
    items = load_questions([good])
    assert [i["id"] for i in items] == ["good-1", "good-3"]
    assert len(load_questions([good, good], limit=1)) == 2
    for text, problem in (
        ("{not json", "not valid JSON"),
        ('{"question": "a?"}', "'answers' list"),
        ('{"question": " ", "answers": []}', "non-empty 'question'"),
    ):
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"question": "ok?", "answers": []}\n' + text + "\n")
        with pytest.raises(ValueError, match=f"bad.jsonl line 2: .*{problem}"):
            load_questions([bad])


def test_another_corpus_gets_its_own_index_folder(tmp_path):
    from common.config import Config

    config = Config(data_dir=str(tmp_path / "data"))
    other = config.for_corpus(str(tmp_path / "docs"))
    assert other.corpus_dir == str((tmp_path / "docs").resolve())
    assert other.data_path.parent == config.data_path / "corpora"
    assert config.for_corpus(str(tmp_path / "docs")) == other
    assert config.for_corpus(str(tmp_path / "more")).data_dir != other.data_dir


def _summary(contains: float | None, f1: float | None, cost: float) -> dict:
    figures = {"contains": contains, "f1": f1, "latency_p50_s": 0.4, "cost_per_1000": cost}
    return {name: {**figures, "cost_per_answer": cost / 1000} for name in ("base", "rag")}


def test_a_plot_that_would_draw_nothing_says_so():
    from evaluation.report import plots_html

    drawn = plots_html(_summary(contains=0.5, f1=0.3, cost=0.06))
    assert drawn.count("<svg") == 5 and "Nothing to draw" not in drawn
    zeros = plots_html(_summary(contains=0.0, f1=0.0, cost=0.06))
    assert zeros.count("<svg") == 2  # latency and cost; quality and the trade-off are notes
    assert zeros.count("every column scored 0") == 3
    assert "no column&#x27;s answer held the gold answer" in zeros
    unanswerable = plots_html(_summary(contains=None, f1=None, cost=0.0))
    assert unanswerable.count("no answerable question was asked") == 3
    assert "the prices per token are 0" in unanswerable


def test_summary_headers_break_between_words_only():
    from evaluation.report import COLUMNS, summary_html

    table = summary_html(_summary(contains=0.5, f1=0.3, cost=0.06))
    assert table.count("<th style=") == len(COLUMNS) + 1 + 2  # headers and the two row names
    assert "word-break:normal;overflow-wrap:normal" in table and "overflow-x:auto" in table
    assert '<span style="white-space:nowrap">cost/1000</span>' in table  # no break at "/"


def test_the_report_names_what_was_evaluated_and_no_server_path(fake_pipelines, tmp_path):
    import html

    from common.config import REPO_ROOT, Config
    from documents.store import Documents
    from evaluation.outputs import describe_documents, run_and_write

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    for path in ("legal/a.md", "legal/b.md", "manual/c.md", "README.md"):
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        (corpus / path).write_text(f"# {path}\n\nText of {path}.\n")
    for path in ("legal/a.md", "uploads/price-list.md"):  # an edit and an upload in the app
        (data / "documents" / path).parent.mkdir(parents=True, exist_ok=True)
        (data / "documents" / path).write_text(f"# {path}\n\nOwn text of {path}.\n")
    config = Config(data_dir=str(data), corpus_dir=str(corpus))
    _, paths = run_and_write(fake_pipelines, [ITEM, NONE], config)
    report = html.unescape(paths["report_html"].read_text())
    assert (
        "evaluated against: the index: 4 documents (2 as shipped in the corpus folder “corpus”, "
        "1 edited in the app, 1 uploaded)" in report
    )
    for path in ("report_html", "summary_json"):
        text = paths[path].read_text()
        assert str(tmp_path) not in text and str(REPO_ROOT) not in text

    shipped = Documents(Config(data_dir=str(tmp_path / "other"), corpus_dir=str(corpus)))
    assert describe_documents(shipped, "the app's index") == (
        "the app's index: 3 documents, as shipped in the corpus folder “corpus”"
    )
