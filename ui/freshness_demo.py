"""The freshness demo in one click: change a fact the LoRA adapter was trained on (the trial length
in the Terms of Service, 30 days -> 45 days), ask RAG, LoRA and RAG + reader the trained question,
and show RAG and the reader (trained to read, not to remember) following the edit while LoRA,
trained before it, still gives the old value. Restore puts the
document back as it was (the corpus original, byte for byte)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from common.errors import DocumentError, PipelineError
from common.files import inside
from documents.store import Change, Documents
from pipelines.core import Pipeline
from training.runs import read_run
from ui.retrain_plan import facts

log = logging.getLogger(__name__)

FACT = "terms-of-service-009"  # "The trial lasts 30 days …" in legal/terms-of-service.md
NEW_ANSWER = "45 days"
COLUMNS = ("rag", "lora", "rag_lora")  # the columns asked, where the app shows them


@dataclass(frozen=True)
class Demo:
    document: str
    before: str  # the sentence the adapter was trained on
    after: str  # the same sentence with the new value
    old: str  # "30 days"
    new: str  # "45 days"
    question: str  # a phrasing the adapter was trained on

    @property
    def intro(self) -> str:
        return (
            f"**Try the freshness demo** changes one fact in `{self.document}` (“{self.before}” "
            f"→ {self.new}), asks “{self.question}” and shows RAG following the edit while the "
            "LoRA adapter, trained before it, still answers the old value. **Restore** undoes it."
        )


def the_demo() -> Demo | None:
    """The demo's edit and question, taken from the fact seed the adapter was trained on; None
    without the seed (a checkout without data/facts)."""
    fact = next((f for f in facts() if f["id"] == FACT), None)
    if fact is None:
        log.warning("no fact seed %s: the Documents tab offers no freshness demo", FACT)
        return None
    return Demo(
        document=fact["doc"],
        before=fact["evidence"],
        after=fact["evidence"].replace(fact["answer"], NEW_ANSWER, 1),
        old=fact["answer"],
        new=NEW_ANSWER,
        question=fact["questions"][0],
    )


def is_applied(documents: Documents, demo: Demo) -> bool:
    return demo.after in _text(documents, demo.document)


def apply_edit(documents: Documents, demo: Demo) -> Change:
    """Save the document with the new value (the app's own edit path)."""
    text = _text(documents, demo.document)
    if demo.before not in text:
        raise DocumentError(
            f"The demo changes “{demo.before}” in {demo.document}, but that sentence is not in "
            "the documents (edited since, or APP_CORPUS_DIR holds another corpus). Nothing was "
            "changed."
        )
    return documents.save(demo.document, text.replace(demo.before, demo.after, 1))


def restore(documents: Documents, demo: Demo) -> Change:
    """Undo the demo's edit: back to the corpus original (the own copy removed) when nothing
    else was edited; else only the demo's sentence is put back."""
    text = _text(documents, demo.document)
    if demo.after not in text:
        raise DocumentError(f"Nothing to restore: {demo.document} does not hold the demo's edit.")
    reverted = text.replace(demo.after, demo.before, 1)
    shipped = inside(documents.corpus, demo.document)
    if shipped and shipped.is_file() and shipped.read_text(encoding="utf-8") == reverted:
        return documents.remove(demo.document)
    return documents.save(demo.document, reverted)


def verdict(answer: str, demo: Demo) -> str:
    """Whether an answer gives the new value, the old one, both or neither."""
    new, old = (_mentions(answer, value) for value in (demo.new, demo.old))
    if new and not old:
        return f"**follows the edit**: says {demo.new}"
    if old and not new:
        return f"**stale**: still says {demo.old}"
    if new and old:
        return f"mentions both {demo.new} and {demo.old}"
    return f"gives neither {demo.new} nor {demo.old}"


def ask(columns: Sequence[Pipeline], demo: Demo, trained_at: str) -> Iterator[str]:
    """Markdown of the question and each column's answer with its verdict, column by column."""
    head = (
        f"**Asked:** {demo.question}  \nThe document now says **{demo.new}**; the LoRA adapter "
        f"was trained {trained_at[:10] or 'at an unknown date'} on **{demo.old}**."
    )
    parts = [head]
    if not columns:
        yield head + "  \nNo RAG or LoRA column here: ask it in the Chat tab."
        return
    for column in columns:
        title = column.title + (f" (trained {trained_at[:10]})" if column.name == "lora" else "")
        yield "\n\n".join([*parts, f"**{title}:** answering…"])
        try:
            text = column.answer(demo.question).text.strip()
            parts.append(f"**{title}** — {verdict(text, demo)}\n\n> {_quoted(text)}")
        except PipelineError as exc:
            parts.append(f"**{title}** — could not answer: {exc}")
    if any(c.name == "lora" for c in columns):
        parts.append("Retrain the adapter (below) to catch it up, or **Restore** the document.")
    yield "\n\n".join(parts)


def columns_of(library: Any, pipelines: Sequence[Pipeline] | None) -> Callable[[], list[Pipeline]]:
    """The RAG and LoRA columns to ask: those of `pipelines`; without them, the registry's over
    the app's resources (`library`), which answer as the chat's columns do."""

    def columns() -> list[Pipeline]:
        if pipelines is not None:
            return [p for p in pipelines if p.name in COLUMNS]
        from pipelines.registry import build_pipelines
        from pipelines.resources import Resources

        return build_pipelines(library, list(COLUMNS)) if isinstance(library, Resources) else []

    return columns


def build_freshness_controls(demo: Demo) -> tuple[gr.Button, gr.Button, gr.Markdown]:
    """The two buttons and the place for the answers (the Documents tab wires them)."""
    with gr.Accordion("Try the freshness demo", open=True):
        gr.Markdown(demo.intro)
        with gr.Row():
            go = gr.Button("Try the freshness demo", variant="primary", elem_id="fresh-try")
            back = gr.Button("Restore the document", elem_id="fresh-restore")
        answers = gr.Markdown("", elem_id="fresh-answers")
    return go, back, answers


def trained_at(library: Any) -> str:
    return str(read_run(library.config.adapter).get("trained_at", ""))


def _text(documents: Documents, path: str) -> str:
    found = documents.locate(path)
    return found.read_text(encoding="utf-8") if found else ""


def _mentions(answer: str, value: str) -> bool:
    number = value.split()[0]  # "45 days" -> "45"
    return re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d])", answer) is not None


def _quoted(text: str) -> str:
    return (text or "(no answer)").replace("\n", "\n> ")
