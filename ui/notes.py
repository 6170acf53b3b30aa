"""The line under each column that says what it knows: the chunks the RAG columns search, and
what the trained columns were trained on and how the documents moved on since."""

from __future__ import annotations

from pathlib import Path

from common.commands import REFRESH, REFRESH_FULL, TRAIN_FULL
from pipelines.resources import Resources
from training.runs import Staleness, read_run, staleness
from ui.chat_tab import Notes
from ui.render import plural
from ui.retrain_plan import facts, learnable

CATCH_UP = " — retrain to catch up."
CANNOT_LEARN = " — retraining cannot learn these changes (no training questions in them)."


def describe(stale: Staleness, total: int, ending: str = CATCH_UP) -> str:
    """One Markdown line for under the LoRA column; a stale one ends with `ending`."""
    if not stale.trained_at:
        return "*No training record (run.json) next to the adapter.*"
    head = f"Trained {stale.trained_at[:10]} on corpus snapshot `{stale.corpus_hash[:12]}`"
    if not stale.known:
        return f"{head}; the record does not list its documents."
    if not stale.count:
        return f"{head}; all {total} documents unchanged since."
    parts = [
        f"{len(stale.changed)} changed" if stale.changed else "",
        f"{len(stale.added)} added" if stale.added else "",
        f"{len(stale.removed)} removed" if stale.removed else "",
    ]
    return f"{head}; **since then {', '.join(p for p in parts if p)}**{ending}"


def reader_note(folder: str) -> str:
    """The line that names the RAG + LoRA column's reader adapter (APP_READER_ADAPTER)."""
    return (
        f"Read by the reader adapter `{Path(folder).name}`, fine-tuned to find the answer in "
        "the passages (not to recall the documents)."
    )


def column_notes(resources: Resources) -> Notes:
    """What the RAG columns search and what the trained columns were trained on, kept current."""

    def trained(run: dict, retrain: str, files: list) -> str:
        stale = staleness(run, files)
        # an update learns the training questions of the changed documents: an upload without
        # any teaches it nothing, so "retrain" is offered only where it would learn something
        can_learn = not stale.count or bool(learnable(run, files, facts()))
        note = describe(stale, len(files), CATCH_UP if can_learn else CANNOT_LEARN)
        retrain_line = f" Retrain in the Documents tab or run `{retrain}`."
        return note + (retrain_line if stale.count and can_learn else "")

    def notes() -> dict[str, str]:
        files = resources.documents.files()
        index = resources.index()
        lora = trained(read_run(resources.config.adapter), REFRESH, files)
        full_run = read_run(resources.config.retrained_path)
        retrained = (
            trained(full_run, REFRESH_FULL, files)
            if full_run
            else f"Not trained yet: run `{TRAIN_FULL}` or use the Documents tab."
        )
        rag = (
            f"Searches {plural(index.size, 'chunk')} of "
            f"{plural(len(index.documents), 'document')}, kept current."
        )
        return {
            "rag": rag,
            "rag_lora": rag + "  \n" + reader_note(resources.config.reader_adapter),
            "lora": lora,
            "retrained": retrained,
        }

    return notes
