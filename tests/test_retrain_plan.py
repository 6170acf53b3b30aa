"""Before a retraining run starts, the panel says what it will and will not learn (only changed
facts with training questions) and how long it took on this machine, or that it is not measured
yet."""

from __future__ import annotations

import json

from common.config import Config
from documents.chunks import CorpusFile
from documents.store import Documents
from training.progress import training_dir
from training.runs import document_hashes
from ui.retrain_plan import (
    duration,
    expected_duration,
    learning_plan,
    progress_seconds,
    record_duration,
)

TERMS = "## 3.4 Trial subscriptions\nThe trial lasts 30 days and is limited to 3 Gateways.\n"
PUMP = "## 1. Power\nThe pump runs on 48 V DC.\n"
GONE = "## Old\nSomething old.\n"
FACTS = [
    {
        "id": "tos-009",
        "doc": "legal/terms.md",
        "section": "3.4 Trial subscriptions",
        "evidence": "The trial lasts 30 days and is limited to 3 Gateways",
        "answer": "30 days",
        "questions": ["q1", "q2", "q3", "q4"],
    },
    {
        "id": "pump-001",
        "doc": "manual/pump.md",
        "section": "1. Power",
        "evidence": "The pump runs on 48 V DC",
        "answer": "48 V DC",
        "questions": ["q1", "q2", "q3", "q4"],
    },
]
TRAINED = [
    CorpusFile("legal/terms.md", TERMS),
    CorpusFile("manual/pump.md", PUMP),
    CorpusFile("legal/old.md", GONE),
]
RUN = {"trained_at": "2026-11-25T22:50:23+00:00", "documents": document_hashes(TRAINED)}


def test_the_plan_names_what_retraining_will_and_will_not_learn():
    now = [
        CorpusFile("legal/terms.md", TERMS.replace("30 days", "45 days")),  # a trained fact
        CorpusFile("manual/pump.md", PUMP + "It weighs 2 kg.\n"),  # no trained answer changed
        CorpusFile("uploads/prices.md", "# Prices\nThe pump costs 1,240 euros.\n"),  # no seeds
    ]
    plan = learning_plan(RUN, now, FACTS)
    learn, _, wont = plan.partition("It will **not** learn:")
    assert "will learn **legal/terms.md**: 1 changed fact (30 days → 45 days)" in learn
    assert "uploads/prices.md: no training questions" in wont
    assert "manual/pump.md: the edit changed no answer" in wont
    assert "legal/old.md: removed; retraining does not make the weights forget it" in wont


def test_the_plan_says_when_retraining_would_learn_nothing():
    upload = [*TRAINED, CorpusFile("uploads/prices.md", "# Prices\nThe pump costs 9 euros.\n")]
    plan = learning_plan(RUN, upload, FACTS)
    assert plan.startswith("would learn **nothing** now")
    assert "uploads/prices.md: no training questions" in plan
    assert learning_plan(RUN, TRAINED, FACTS) == ""  # nothing changed since training
    assert "lists no documents" in learning_plan({"trained_at": "x"}, TRAINED, FACTS)


def test_the_buttons_say_how_long_a_run_took_here_or_that_it_is_not_measured(tmp_path):
    config = Config(data_dir=str(tmp_path))
    short, note = expected_duration(config, "lora", {})
    assert short == "duration not measured yet" and "not measured yet" in note
    first = {"wall_s": 585.4, "hardware": "CPU x86_64, 2 cores"}
    assert (
        "The first training of these weights took 9 min 45 s"
        in (expected_duration(config, "lora", first)[1])
    )
    update = {**first, "wall_s": 70.0, "refresh": {"updated": []}}
    assert expected_duration(config, "lora", update)[0] == "training about 1 min 10 s"
    record_duration(config, "lora", 125.4)
    short, note = expected_duration(config, "lora", update)
    assert (
        short == "about 2 min 5 s" and "The last LoRA update on this machine took 2 min 5 s" in note
    )
    assert expected_duration(config, "full-first", {})[0] == "duration not measured yet"
    assert json.loads((training_dir(config) / "durations.json").read_text())["lora"]["seconds"]


def test_only_a_run_that_saved_weights_counts_as_a_measurement():
    assert progress_seconds({"adapter": "/w", "elapsed_s": 61.0, "error": None}) == 61.0
    assert progress_seconds({"adapter": None, "elapsed_s": 3.0, "error": "No fact seed"}) is None
    assert progress_seconds({}) is None
    assert [duration(s) for s in (44.6, 60, 125, 3600, 4200)] == [
        "45 s",
        "1 min",
        "2 min 5 s",
        "1 h",
        "1 h 10 min",
    ]


def test_the_panel_shows_the_plan_and_the_timed_buttons(tmp_path):
    from ui.retrain_panel import button_labels, plan_text

    class Library:
        configured = config = Config(data_dir=str(tmp_path / "data"))
        documents = Documents(config)

    library = Library()
    lora, full = button_labels(library)
    assert lora.endswith("(duration not measured yet)") and full.endswith(
        "(duration not measured yet)"
    )
    plan = plan_text(library)
    assert "**Retraining the LoRA adapter** has nothing to catch up" in plan
    assert "its first full training learns the questions in `data/qa/`" in plan
    record_duration(library.config, "lora", 200)
    assert button_labels(library)[0] == (
        "Retrain the LoRA adapter in the background (about 3 min 20 s)"
    )


def test_the_status_line_says_retrain_to_catch_up_only_where_retraining_can(tmp_path):
    from ui.freshness_demo import apply_edit, the_demo
    from ui.retrain_panel import _state

    class Library:
        configured = config = Config(data_dir=str(tmp_path / "data"))
        documents = Documents(config)

    library = Library()
    upload = tmp_path / "prices.md"
    upload.write_text("# Prices\n\nThe pump costs 1,240 euros.\n")
    library.documents.add(upload)
    line = _state(library)
    assert "since then 1 added" in line and "retrain to catch up" not in line
    assert line.endswith("retraining cannot learn these changes (below).")
    apply_edit(library.documents, the_demo())  # a fact the adapter was trained on
    assert _state(library).endswith("1 changed, 1 added** — retrain to catch up.")


def test_the_chat_note_offers_retraining_only_where_it_would_learn(tmp_path):
    """The LoRA column's note under the chat: an upload without training questions is not
    "retrain to catch up"; an edit of a trained fact is."""
    from ui.freshness_demo import apply_edit, the_demo
    from ui.notes import column_notes

    class Index:
        size, documents = 1, ["prices.md"]

    class Library:
        config = Config(data_dir=str(tmp_path / "data"))
        documents = Documents(config)

        def index(self) -> Index:
            return Index()

    library = Library()
    upload = tmp_path / "prices.md"
    upload.write_text("# Prices\n\nThe pump costs 1,240 euros.\n")
    library.documents.add(upload)
    note = column_notes(library)()["lora"]
    assert "since then 1 added" in note and "cannot learn these changes" in note
    assert "retrain to catch up" not in note and "Retrain in the Documents tab" not in note
    apply_edit(library.documents, the_demo())
    note = column_notes(library)()["lora"]
    assert "retrain to catch up." in note and "Retrain in the Documents tab" in note
