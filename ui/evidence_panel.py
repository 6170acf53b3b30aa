"""Under each answer column, the answer's values looked up in the documents (issue #23): each
supported, contradicted or not found, with the document sentence behind the verdict one click
away; above the columns, one line when the columns state different values.

The check runs after a question's answers are all finished (a `.then` on the answer events), so
it never delays them, and only where the app has an index: without one (fake pipelines) there
is no panel at all. Every column is checked, the base and fine-tuned ones too: a value from the
weights alone is the one that most needs the documents' word.

The line above the columns compares values that speak of the same thing (grounding.values
`comparable`), grouped by `same_value` ("two weeks" and "14 days" are one value). Columns
disagree on a thing when the sets of values they state for it differ; the line then names each
value, its verdict and the columns that gave it. When they agree it says so in one line with the
values two or more columns share, and it says nothing when fewer than two columns state values.
Names are left out of the comparison: a column that names the product and one that does not
disagree on nothing.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gradio as gr

from common.errors import PipelineError
from documents.pages import page_label
from grounding.lookup import CONTRADICTED, NOT_FOUND, SUPPORTED, Check, Mark, check_answer
from grounding.values import Value, comparable, same_value, values
from pipelines.core import Pipeline
from ui.chat_tab import ChatParts
from ui.layout import above, under
from ui.render import Locate, document_link
from ui.transcript import Turn

if TYPE_CHECKING:
    from documents.index import Index

log = logging.getLogger(__name__)
IndexSource = Callable[[], "Index"]  # loads (or refreshes) the index when called
SYMBOLS = {SUPPORTED: "✔", CONTRADICTED: "✘", NOT_FOUND: "?"}  # no emoji font needed
STRENGTH = {SUPPORTED: 0, CONTRADICTED: 1, NOT_FOUND: 2}  # which column's mark a value shows
SNIPPET_WORDS = 12
CHECKING = "*Looking up this answer's values in the documents…*"
HEADING = "**Values in the documents**"


def build_evidence(
    parts: ChatParts,
    pipelines: Sequence[Pipeline],
    index: IndexSource | None,
    locate: Locate | None = None,
) -> None:
    """A values panel under each column and a line above them, filled after every question;
    nothing at all when `index` is None. `locate` finds a document's file for its link."""
    if index is None or not parts.boxes:
        return
    names = [p.name for p in pipelines]
    panels = []
    for name in names:
        with under(parts.boxes[name]):
            panels.append(gr.Markdown("", elem_id=f"evidence-{name}", elem_classes="column-note"))
    with above(parts.boxes[names[0]].parent):  # the row of columns
        summary = gr.Markdown("", elem_id="evidence-summary")
    checked = gr.State(None)  # the key of the question last checked
    check = _checker(pipelines, index, locate)
    outputs = [*panels, summary, checked]
    for event in parts.answered:
        event.then(
            check,
            [parts.turns, checked],
            outputs,
            concurrency_limit=2,  # at most two questions at once: the searches share the CPU
            concurrency_id="evidence",
            show_progress="hidden",  # the panels say themselves that they are checking
            api_visibility="private",
        )
    parts.clear.click(
        lambda: [""] * (len(names) + 1) + [None], None, outputs, api_visibility="private"
    )


def _checker(
    pipelines: Sequence[Pipeline], index: IndexSource, locate: Locate | None
) -> Callable[[list[Turn], str | None], Iterator[list[Any]]]:
    names = [p.name for p in pipelines]
    titles = {p.name: p.title for p in pipelines}

    def check_latest(turns: list[Turn], checked: str | None) -> Iterator[list[Any]]:
        """Check the latest question's answers, column by column as they are done."""
        turn = turns[-1] if turns else None
        if turn is None or turn.key == checked:  # no question was asked (an empty box)
            yield [*([gr.update()] * (len(names) + 1)), checked]
            return
        # an error is no answer; a column switched off has none
        answered = {n: a.text for n, a in turn.answers.items() if a.done and n in titles}
        shown = {name: CHECKING if name in answered else "" for name in names}
        yield [*shown.values(), "", turn.key]
        try:
            found = index()
        except PipelineError as exc:
            log.warning("no evidence check: %s", exc)
            yield [*([""] * len(names)), f"*No evidence check: {exc}*", turn.key]
            return
        checks: dict[str, Check] = {}
        by_text: dict[str, Check] = {}  # columns often say the same: check each answer once
        for name, text in answered.items():
            if text not in by_text:
                by_text[text] = check_answer(found, turn.question, text)
            checks[name] = by_text[text]
            shown[name] = marks_markdown(checks[name], locate)
            yield [*shown.values(), "", turn.key]
        yield [*shown.values(), summary_line(checks, titles), turn.key]

    return check_latest


def marks_markdown(check: Check, locate: Locate | None = None) -> str:
    """The panel under one column: each value with its verdict, the sentence behind it
    expandable, and how long the check took."""
    took = f"checked in {check.seconds:.2f} s"
    if not check.marks:
        return f"{HEADING} · *no numbers, dates, codes or names to check* · {took}"
    lines = [f"{HEADING} · {check.supported} of {len(check.marks)} supported · {took}"]
    lines += [mark_html(mark, locate) for mark in check.marks]
    return "\n\n".join(lines)


def mark_html(mark: Mark, locate: Locate | None = None) -> str:
    """One value and its verdict; where a document sentence is behind it, a summary line that
    opens to the whole sentence and a link to its document."""
    head = f"{SYMBOLS[mark.verdict]} <b>{html.escape(mark.value.text)}</b>"
    if mark.verdict == NOT_FOUND:
        return f"<p>{head} — not found in the documents</p>"
    if mark.verdict == CONTRADICTED:
        head += f" — contradicted: the documents say <b>{html.escape(mark.stated)}</b>"
    else:
        head += " — supported"
    summary = f"{head}: <i>{html.escape(_snippet(mark.sentence))}</i> ({_place(mark)})"
    return (
        f"<details><summary>{summary}</summary>"
        f"<blockquote>{_sentence_html(mark)}</blockquote>"
        f"{document_link(mark.document, locate, mark.page)}</details>"
    )


def _snippet(sentence: str) -> str:
    words = sentence.split()
    return " ".join(words[:SNIPPET_WORDS]) + ("…" if len(words) > SNIPPET_WORDS else "")


def _place(mark: Mark) -> str:
    """ "zorblat.md p. 3 §Warranty": the document and, where it has them, the page (a
    converted PDF) and the section."""
    page = f" {page_label(mark.page)}" if mark.page else ""
    section = f" §{html.escape(mark.section)}" if mark.section else ""
    return f"{html.escape(mark.document)}{page}{section}"


def _sentence_html(mark: Mark) -> str:
    """The document's sentence with its value (the one that supports or contradicts) bold."""
    text = html.escape(mark.sentence)
    stated = mark.stated or next(
        (v.text for v in values(mark.sentence) if same_value(mark.value, v)), ""
    )
    if stated:
        text = text.replace(html.escape(stated), f"<b>{html.escape(stated)}</b>", 1)
    return text


@dataclass
class _Group:
    """One value as one or more columns state it, with the strongest verdict among them."""

    value: Value  # as the first column wrote it
    mark: Mark
    columns: list[str] = field(default_factory=list)


def _topics(checks: Mapping[str, Check]) -> list[list[_Group]]:
    """The columns' values grouped by what they speak of (comparable) and, within that, by
    value (same_value); names left out (see the module's docstring)."""
    topics: list[list[_Group]] = []
    for name, check in checks.items():
        for mark in check.marks:
            if mark.value.kind == "name":
                continue
            topic = next((t for t in topics if comparable(t[0].value, mark.value)), None)
            if topic is None:
                topic = []
                topics.append(topic)
            group = next((g for g in topic if same_value(g.value, mark.value)), None)
            if group is None:
                group = _Group(mark.value, mark)
                topic.append(group)
            if name not in group.columns:
                group.columns.append(name)
            if STRENGTH[mark.verdict] < STRENGTH[group.mark.verdict]:
                group.mark = mark
    return topics


def _disagree(topic: list[_Group]) -> bool:
    """Whether the columns stating something state different sets of values for it."""
    stated: dict[str, set[int]] = {}
    for number, group in enumerate(topic):
        for name in group.columns:
            stated.setdefault(name, set()).add(number)
    return len({frozenset(s) for s in stated.values()}) > 1


def summary_line(checks: Mapping[str, Check], titles: Mapping[str, str]) -> str:
    """The line above the columns: which values the columns disagree on and what the
    documents say of each, or that they agree; "" when fewer than two columns state values."""
    topics = _topics(checks)
    apart = [g for topic in topics if _disagree(topic) for g in topic]
    if apart:
        columns = {name for group in apart for name in group.columns}
        said = "; ".join(_said(group, titles) for group in apart)
        return (
            f"**The columns disagree.** {len(columns)} columns, {len(apart)} different values: "
            f"{said}."
        )
    shared = [g for topic in topics for g in topic if len(g.columns) > 1]
    if not shared:
        return ""
    columns = {name for group in shared for name in group.columns}
    who = f"All {len(columns)}" if len(columns) == len(checks) else str(len(columns))
    return f"{who} columns agree: " + "; ".join(_said(g, titles, False) for g in shared) + "."


def _said(group: _Group, titles: Mapping[str, str], named: bool = True) -> str:
    """ "<b>99.9 %</b> supported by sla.md §3.1 (RAG, LoRA)"."""
    mark = group.mark
    said = f"{SYMBOLS[mark.verdict]} <b>{html.escape(group.value.text)}</b> "
    if mark.verdict == SUPPORTED:
        said += f"supported by {_place(mark)}"
    elif mark.verdict == CONTRADICTED:
        said += f"contradicted by {_place(mark)}, which says <b>{html.escape(mark.stated)}</b>"
    else:
        said += "not found in the documents"
    if named:
        said += " (" + ", ".join(html.escape(titles.get(n, n)) for n in group.columns) + ")"
    return said
