"""In the Documents tab: find words in the picked document and edit one section of it instead of
the whole text. A section's edit is put back into the document (the rest byte-identical) and
saved like any other edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from common.errors import DocumentError
from documents.store import Change, Documents
from ui.doc_sections import Section, by_section, find, section_text, sections, splice
from ui.render import plural

WHOLE = "whole"  # the section picker's value for the whole document
MAX_GROUPS = 25  # matching sections listed; more ask for more words
# What the editor holds (a gr.State): {"path": str, "number": int | None (None = the whole
# document), "original": the text as loaded, to notice an edit saved meanwhile}.
Loaded = dict[str, Any]


@dataclass
class SectionPicker:
    find: gr.Textbox
    go: gr.Button
    section: gr.Dropdown
    found: gr.Markdown
    hits: gr.Radio
    loaded: gr.State


def build_section_picker() -> SectionPicker:
    """The search box, the section picker and the search results, above the editor."""
    with gr.Row(equal_height=True):
        query = gr.Textbox(
            label="Find in the document",
            placeholder="words, e.g. trial days",
            scale=3,
            elem_id="doc-find",
        )
        go = gr.Button("Find", scale=0, min_width=80, elem_id="doc-find-go")
        section = gr.Dropdown(
            label="Section to edit",
            choices=[("Whole document", WHOLE)],
            value=WHOLE,
            scale=3,
            elem_id="doc-section",
        )
    found = gr.Markdown("", elem_id="doc-found")
    hits = gr.Radio(
        label="Matching sections: pick one to edit just that part",
        choices=[],
        visible=False,
        elem_id="doc-hits",
    )
    return SectionPicker(query, go, section, found, hits, gr.State(None))


def wire_section_picker(documents: Documents, picker: SectionPicker, pick: Any, text: Any) -> None:
    """Picking a document loads it whole; a search lists the matching sections; picking a
    section (in either list) loads only that section into the editor."""
    opened = [picker.section, text, picker.loaded]

    def open_document(path: str | None) -> list[Any]:
        return [*reopen(documents, path, None), "", gr.Radio(choices=[], value=None, visible=False)]

    def open_section(path: str | None, number: str | None) -> list[Any]:
        return open_part(documents, path, number)

    def searching(path: str | None, query: str | None) -> list[Any]:
        return search(documents, path, query)

    pick.change(open_document, pick, [*opened, picker.found, picker.hits])
    picker.section.input(open_section, [pick, picker.section], opened)
    picker.hits.input(open_section, [pick, picker.hits], opened)
    for event in (picker.go.click, picker.find.submit):
        event(searching, [pick, picker.find], [picker.found, picker.hits])


def read_document(documents: Documents, path: str | None) -> str | None:
    found = documents.locate(path) if path else None
    return found.read_text(encoding="utf-8", errors="replace") if found else None


def choices(text: str) -> list[tuple[str, str]]:
    parts = sections(text) if text else []
    return [("Whole document", WHOLE)] + [(s.label, str(s.number)) for s in parts]


def reopen(documents: Documents, path: str | None, start: int | None) -> list[Any]:
    """[section picker, editor text, loaded] for the document, whole (`start` None) or the
    section that begins at `start` (after a save: the same place, renumbered)."""
    text = read_document(documents, path)
    if text is None:
        return [gr.Dropdown(choices=choices(""), value=WHOLE), "", None]
    part = None
    if start is not None:  # the text before it is unchanged: a section begins there
        cut = sections(text)
        part = next((s for s in cut if s.start <= start < s.end), cut[-1])
    return _opened(path or "", text, part)


def open_part(documents: Documents, path: str | None, number: str | None) -> list[Any]:
    """[section picker, editor text, loaded] for section `number` (or WHOLE) of the document."""
    text = read_document(documents, path)
    if text is None:
        gr.Warning("Pick a document first.")
        return [gr.update(), gr.update(), gr.update()]
    cut = sections(text)
    if number in (None, WHOLE):
        return _opened(path or "", text, None)
    if not str(number).isdigit() or int(number) >= len(cut):
        gr.Warning(f"{path} has changed: pick the section again.")
        return [gr.Dropdown(choices=choices(text), value=WHOLE), gr.update(), gr.update()]
    return _opened(path or "", text, cut[int(number)])


def _opened(path: str, text: str, part: Section | None) -> list[Any]:
    shown = text if part is None else section_text(text, part)
    value = WHOLE if part is None else str(part.number)
    loaded = {"path": path, "number": None if part is None else part.number, "original": shown}
    return [gr.Dropdown(choices=choices(text), value=value), shown, loaded]


def search(documents: Documents, path: str | None, query: str | None) -> list[Any]:
    """[the search's summary, the matching sections to pick from]."""
    hidden = gr.Radio(choices=[], value=None, visible=False)
    text = read_document(documents, path)
    if text is None:
        return ["**Pick a document first.**", hidden]
    words = (query or "").strip()
    if not words:
        return ["**Type a word or two to find in the document.**", hidden]
    hits, complete = find(text, words)
    if not hits:
        return [f"No line of **{path}** holds “{words}”.", hidden]
    groups = by_section(hits)
    head = (
        f"{plural(len(hits), 'line')} in {plural(len(groups), 'section')} "
        f"{'holds' if len(hits) == 1 else 'hold'} “{words}”."
        if complete
        else f"No line holds every word of “{words}”; these hold the most of them."
    )
    if len(groups) > MAX_GROUPS:
        head += f" The first {MAX_GROUPS} sections are listed: add words to narrow the search."
    options = [(_option(section, lines), str(section.number)) for section, lines in groups]
    return [head, gr.Radio(choices=options[:MAX_GROUPS], value=None, visible=True)]


def _option(section: Section, lines: list) -> str:
    more = f" (+{plural(len(lines) - 1, 'more line')})" if len(lines) > 1 else ""
    return f"{section.label} — line {lines[0].line}: {lines[0].snippet}{more}"


def save_edit(
    documents: Documents, path: str, body: str | None, loaded: Loaded | None
) -> tuple[Change, int | None]:
    """Save the editor: the whole document, or one section put back into the document as it is
    now. Returns the change and where the saved section begins (None: the whole document).
    Raises DocumentError, touching nothing, when the section cannot be put back."""
    if loaded and loaded.get("path") not in (None, path):
        raise DocumentError(f"The editor holds {loaded['path']}, not {path}: pick it again.")
    number = loaded.get("number") if loaded else None
    if number is None:
        return documents.save(path, body or ""), None
    current = read_document(documents, path)
    cut = sections(current or "")
    if (
        current is None
        or number >= len(cut)
        or section_text(current, cut[number]) != (loaded or {}).get("original")
    ):
        raise DocumentError(
            f"{path} changed since you opened this section (another edit was saved). Nothing "
            "was saved and your text is still in the editor: copy it, pick the section again "
            "and make your change there."
        )
    part = cut[number]
    edited = (body or "").replace("\r\n", "\n").rstrip()
    if not edited.strip():
        raise DocumentError(
            f"The section “{part.title}” is empty: nothing was saved. To delete a section, "
            "choose “Whole document” and remove it there."
        )
    if edited == section_text(current, part):
        raise DocumentError(f"Nothing changed in “{part.title}”: nothing to save.")
    return documents.save(path, splice(current, part, edited)), part.start
