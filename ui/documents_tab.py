"""The Documents tab: upload, list, edit and remove the documents RAG answers from."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from common.config import Config
from common.errors import DocumentError, PipelineError
from documents.index import Index, Progress
from documents.loaders import ACCEPTED
from documents.store import Change, Documents
from ui.retrain_panel import RetrainTarget, build_retrain_panel

HEADERS = ["Document", "Title", "Origin", "Characters", "Chunks"]


class Library(RetrainTarget, Protocol):
    """The documents, their index and the adapter (the app's `Resources`)."""

    documents: Documents

    def index(self, progress: Progress | None = None) -> Index: ...


def intro(config: Config) -> str:
    return (
        "Add your own documents — PDF, Markdown, text or HTML, up to "
        f"{config.max_upload_mb:g} MB each (`APP_MAX_UPLOAD_MB`). They are chunked, embedded and "
        "added to the index; the **RAG** column answers from them from the next question on. "
        "Edit a document to change a fact and ask again: RAG follows at once, the **LoRA** "
        "column only after retraining. Corpus documents are never overwritten: an edit is kept "
        "as your own copy, and removing that copy brings the original back."
    )


def build_documents_tab(
    library: Library,
    config: Config,
    demo: gr.Blocks,
    notes: tuple[Callable[[], list[str]], list[Any]] | None = None,
) -> None:
    with gr.Tab("Documents"):
        gr.Markdown(intro(config))
        with gr.Row():
            upload = gr.File(
                label="Documents to add",
                file_count="multiple",
                file_types=list(ACCEPTED),
                elem_id="doc-upload",
            )
            with gr.Column(scale=0, min_width=220):
                replace = gr.Checkbox(
                    label="Replace documents of the same name",
                    value=False,
                    elem_id="doc-replace",
                )
                add = gr.Button("Add to the index", variant="primary", elem_id="doc-add")
        status = gr.Markdown("", elem_id="doc-status")
        table = gr.Dataframe(headers=HEADERS, interactive=False, elem_id="doc-list")
        with gr.Row():
            pick = gr.Dropdown(label="Document", choices=[], scale=4, elem_id="doc-pick")
            remove = gr.Button("Remove", variant="stop", scale=0, elem_id="doc-remove")
        text = gr.Textbox(label="Text (Markdown)", lines=12, max_lines=24, elem_id="doc-text")
        save = gr.Button("Save the edit", elem_id="doc-save")
        retrain = build_retrain_panel(library)
        # After a change, what other panels say about the documents: the retrain panel's
        # staleness and the chat's column notes ("646 chunks of 9 documents").
        follow = [retrain, *([notes] if notes else [])]
        outputs = [status, table, pick]

        def adding(paths: list[str] | None, replacing: bool) -> Iterator[list[Any]]:
            paths = paths or []
            if not paths:
                yield [_notice("Choose one or more files first."), *_listing(library)]
                return
            changes, refused = [], []
            for path in paths:
                try:
                    name = Path(path).name
                    changes.append(library.documents.add(Path(path), name, bool(replacing)))
                except DocumentError as exc:
                    refused.append(str(exc))
            yield from _reindex(library, changes, refused)

        def removing(path: str | None) -> Iterator[list[Any]]:
            yield from _one_change(library, path, lambda: library.documents.remove(path or ""))

        def saving(path: str | None, body: str | None) -> Iterator[list[Any]]:
            yield from _one_change(library, path, lambda: library.documents.save(path or "", body))

        changed = [
            add.click(adding, [upload, replace], outputs, concurrency_limit=1).then(
                lambda: None, None, upload
            ),
            remove.click(removing, pick, outputs, concurrency_limit=1),
            save.click(saving, [pick, text], outputs, concurrency_limit=1),
        ]
        for event in changed:
            for refresh, filled in follow:
                event = event.then(refresh, None, filled)
        pick.change(lambda path: _text_of(library, path), pick, text)
        demo.load(lambda: _listing(library), None, [table, pick])  # fresh on every page load
        demo.load(retrain[0], None, retrain[1])


def _one_change(
    library: Library, path: str | None, change: Callable[[], Change]
) -> Iterator[list[Any]]:
    if not path:
        yield [_notice("Pick a document first."), *_listing(library)]
        return
    try:
        done = change()
    except DocumentError as exc:
        yield [_notice(str(exc)), *_listing(library)]
        return
    yield from _reindex(library, [done], [])


def _reindex(library: Library, changes: list[Change], refused: list[str]) -> Iterator[list[Any]]:
    """Bring the index up to date in a worker thread, reporting its progress meanwhile."""
    done: list[Any] = [0, 0]
    result: dict[str, Any] = {}

    def count(n: int, total: int) -> None:
        done[:] = [n, total]

    def work() -> None:
        try:
            result["index"] = library.index(count)
        except (PipelineError, OSError) as exc:
            result["error"] = exc

    worker = threading.Thread(target=work, name="reindex", daemon=True)
    worker.start()
    while worker.is_alive():
        counted = f" {done[0]} of {done[1]} chunks" if done[1] else ""
        yield [f"Indexing…{counted}", gr.update(), gr.update()]
        worker.join(timeout=0.5)
    lines = [_describe(change) for change in changes]
    if "error" in result:
        lines.append(f"**The index was not updated:** {result['error']}")
    elif "index" in result and result["index"].sync is not None:
        sync = result["index"].sync
        lines.append(
            f"Index updated in {sync.seconds:.1f} s: {sync.chunks} chunks embedded, "
            f"{sync.reused} unchanged documents reused; {result['index'].size} chunks in all."
        )
    lines += [f"**Refused:** {reason}" for reason in refused]
    yield ["  \n".join(lines), *_listing(library)]


def _describe(change: Change) -> str:
    if change.kept:
        return (
            f"Added **{change.path}**: a document named {change.kept} is already there and was "
            "kept (tick “Replace documents of the same name” to replace it)."
        )
    verbs = {
        "added": "Added",
        "replaced": "Replaced",
        "updated": "Updated",
        "removed": "Removed",
        "restored": "Restored the original of",
    }
    return f"{verbs.get(change.action, change.action)} **{change.path}**."


def _listing(library: Library) -> list[Any]:
    """The table rows and the document picker's choices."""
    index = library.index()
    rows = [
        [d.path, d.title, d.origin, d.chars, index.documents.get(d.path, {}).get("chunks", "–")]
        for d in library.documents.listing()
    ]
    return [rows, gr.Dropdown(choices=[row[0] for row in rows])]


def _text_of(library: Library, path: str | None) -> str:
    found = library.documents.locate(path) if path else None
    return found.read_text(encoding="utf-8", errors="replace") if found else ""


def _notice(message: str) -> str:
    gr.Warning(message)
    return f"**{message}**"
