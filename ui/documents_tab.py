"""The Documents tab: upload, list, edit and remove the documents RAG answers from."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from common.config import Config
from common.errors import DocumentError, PipelineError
from documents.index import Index, Progress
from documents.loaders import ACCEPTED
from documents.store import Change, Documents
from pipelines.core import Pipeline
from ui.freshness_demo import (
    Demo,
    apply_edit,
    ask,
    build_freshness_controls,
    columns_of,
    is_applied,
    restore,
    the_demo,
    trained_at,
)
from ui.retrain_panel import RetrainTarget, build_retrain_panel
from ui.section_editor import (
    build_section_picker,
    reopen,
    save_edit,
    wire_section_picker,
)

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
    pipelines: Sequence[Pipeline] | None = None,
) -> None:
    """The tab. `pipelines`: the columns the freshness demo asks (its RAG and LoRA ones);
    without them it asks the registry's RAG and LoRA columns over `library`."""
    fresh = the_demo()
    with gr.Tab("Documents"):
        gr.Markdown(intro(config))
        controls = build_freshness_controls(fresh) if fresh else None
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
        picker = build_section_picker()
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

        def saving(path: str | None, body: str | None, loaded: Any) -> Iterator[list[Any]]:
            """Save the whole text or the section the editor holds; then reload what was saved."""
            saved: dict[str, int | None] = {}

            def change() -> Change:
                done, saved["start"] = save_edit(library.documents, path or "", body, loaded)
                return done

            keep = [gr.update()] * 3
            for update in _one_change(library, path, change):
                yield [*update, *keep]
            if "start" in saved:
                yield [*keep, *reopen(library.documents, path, saved["start"])]

        def followed(event: Any) -> Any:
            for refresh, filled in follow:
                event = event.then(refresh, None, filled)
            return event

        edited = [picker.section, text, picker.loaded]
        followed(add.click(adding, [upload, replace], outputs, concurrency_limit=1)).then(
            lambda: None, None, upload
        )
        followed(remove.click(removing, pick, outputs, concurrency_limit=1))
        save_inputs = [pick, text, picker.loaded]
        followed(save.click(saving, save_inputs, [*outputs, *edited], concurrency_limit=1))
        wire_section_picker(library.documents, picker, pick, text)
        if fresh and controls:
            _wire_freshness(library, fresh, controls, outputs, followed, pipelines)
        demo.load(lambda: _listing(library), None, [table, pick])  # fresh on every page load
        demo.load(retrain[0], None, retrain[1])


def _wire_freshness(
    library: Library,
    fresh: Demo,
    controls: tuple[Any, Any, Any],
    outputs: list[Any],
    followed: Callable[[Any], Any],
    pipelines: Sequence[Pipeline] | None,
) -> None:
    """Try: apply the edit (as a save), then ask RAG and LoRA. Restore: undo it."""
    go, back, answers = controls
    columns = columns_of(library, pipelines)

    def trying() -> Iterator[list[Any]]:
        if is_applied(library.documents, fresh):
            yield [
                f"The demo's edit is already in {fresh.document}: asking again.",
                *_listing(library),
            ]
            return
        yield from _one_change(
            library, fresh.document, lambda: apply_edit(library.documents, fresh)
        )

    def asking() -> Iterator[str]:
        if not is_applied(library.documents, fresh):
            yield "Not asked: the demo's edit is not in the document (see the message above)."
            return
        yield from ask(columns(), fresh, trained_at(library))

    def restoring() -> Iterator[list[Any]]:
        yield from _one_change(library, fresh.document, lambda: restore(library.documents, fresh))

    def cleared() -> Any:
        return gr.update() if is_applied(library.documents, fresh) else ""

    followed(go.click(trying, None, outputs, concurrency_limit=1)).then(asking, None, answers)
    followed(back.click(restoring, None, outputs, concurrency_limit=1)).then(cleared, None, answers)


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


def _notice(message: str) -> str:
    gr.Warning(message)
    return f"**{message}**"
