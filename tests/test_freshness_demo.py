"""The freshness demo in one click: its edit changes a fact the LoRA adapter was trained on, the
answers are judged against the new and the old value, and Restore gives back the document byte
for byte."""

from __future__ import annotations

import shutil

import pytest

from common.config import REPO_ROOT, Config
from common.errors import DocumentError, PipelineError
from documents.store import Documents
from pipelines.core import Answer
from ui.freshness_demo import apply_edit, ask, columns_of, is_applied, restore, the_demo


@pytest.fixture
def documents(tmp_path) -> Documents:
    """The bundled Terms of Service in a corpus of their own."""
    corpus = tmp_path / "corpus"
    (corpus / "legal").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "corpus/legal/terms-of-service.md", corpus / "legal")
    return Documents(Config(corpus_dir=str(corpus), data_dir=str(tmp_path / "data")))


class Column:
    def __init__(self, name: str, title: str, reply: str | None) -> None:
        self.name, self.title, self.reply, self.optional = name, title, reply, False

    def answer(self, question: str, history=()) -> Answer:
        if self.reply is None:
            raise PipelineError("the adapter is missing")
        return Answer(pipeline=self.name, text=self.reply, done=True)


def test_the_demo_edits_a_fact_the_adapter_was_trained_on():
    demo = the_demo()
    assert demo is not None and demo.old == "30 days" and demo.new == "45 days"
    trained = (REPO_ROOT / "data/qa/train.jsonl").read_text(encoding="utf-8")
    assert demo.question in trained  # a phrasing the adapter learnt the old value from
    assert demo.before in (REPO_ROOT / "corpus" / demo.document).read_text(encoding="utf-8")


def test_apply_then_restore_gives_back_the_corpus_original_byte_for_byte(documents):
    demo = the_demo()
    original = (documents.corpus / demo.document).read_bytes()
    assert apply_edit(documents, demo).action == "updated" and is_applied(documents, demo)
    own = documents.own / demo.document
    assert own.read_bytes() == original.replace(demo.before.encode(), demo.after.encode())
    assert restore(documents, demo).action == "restored"
    assert not own.exists() and documents.locate(demo.document).read_bytes() == original


def test_restore_keeps_the_users_own_earlier_edits(documents):
    demo = the_demo()
    text = (documents.corpus / demo.document).read_text(encoding="utf-8")
    documents.save(demo.document, text.replace("18 years old", "21 years old"))
    own = documents.own / demo.document
    before = own.read_bytes()
    apply_edit(documents, demo)
    assert restore(documents, demo).action == "updated" and own.read_bytes() == before


def test_bad_states_are_refused_and_change_nothing(documents):
    demo = the_demo()
    with pytest.raises(DocumentError, match="Nothing to restore"):
        restore(documents, demo)
    text = (documents.corpus / demo.document).read_text(encoding="utf-8")
    documents.save(demo.document, text.replace(demo.before, "There is no trial."))
    before = (documents.own / demo.document).read_bytes()
    with pytest.raises(DocumentError, match="that sentence is not in the documents"):
        apply_edit(documents, demo)
    assert (documents.own / demo.document).read_bytes() == before


def test_the_answers_show_rag_following_and_lora_stale_with_its_training_date():
    demo = the_demo()
    columns = [
        Column("rag", "RAG (retrieval)", "The trial lasts 45 days."),
        Column("lora", "LoRA fine-tuned", "The trial lasts 30 days."),
    ]
    *steps, shown = list(ask(columns, demo, "2026-11-25T22:50:23+00:00"))
    assert "**RAG (retrieval):** answering…" in steps[0]
    assert "**RAG (retrieval)** — **follows the edit**: says 45 days" in shown
    assert "**LoRA fine-tuned (trained 2026-11-25)** — **stale**: still says 30 days" in shown
    assert "the LoRA adapter was trained 2026-11-25 on **30 days**" in shown
    broken = list(ask([Column("lora", "LoRA fine-tuned", None)], demo, ""))[-1]
    assert "could not answer: the adapter is missing" in broken
    assert "ask it in the Chat tab" in list(ask([], demo, ""))[-1]


def test_the_demo_asks_only_the_rag_and_lora_columns(fake_pipelines):
    assert [p.name for p in columns_of(None, fake_pipelines)()] == ["rag", "lora"]
    assert columns_of(object(), None)() == []  # no resources to build them from
