"""The chat's answer columns: one per pipeline, side by side; the switches of the optional ones,
offered only where the column can answer (else disabled, naming the command that makes it
able to); and the line of a column switched on in mid-conversation, which has no answers to
the earlier questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from common.commands import TRAIN_FULL
from pipelines.core import Pipeline
from pipelines.rag_lora import RagLoraPipeline
from pipelines.retrained import RetrainedPipeline
from serving.engine import READER
from serving.local_engine import check_adapter
from serving.retrained_weights import missing_weights
from ui.layout import COLUMN_MIN_PX, column_id
from ui.render import plural
from ui.transcript import Turn


@dataclass
class Columns:
    """The components of every column, in the pipelines' order."""

    chats: list[gr.Chatbot]
    stats: list[gr.Markdown]
    sources: list[gr.Markdown]
    notes: list[gr.Markdown]  # what the column knows (index, training snapshot)
    joined: list[gr.Markdown]  # "Switched on after 2 questions: …"
    boxes: dict[str, gr.Column]


def missing(pipeline: Pipeline) -> str | None:
    """Why `pipeline` cannot answer yet, in one line naming the command that makes it able to;
    None when it can. Looks at files only (loads nothing), so it is cheap on every page load."""
    if isinstance(pipeline, RetrainedPipeline):
        config = pipeline.resources.config  # the folder follows a retraining in the app
        if missing_weights(config.retrained_path) is None:
            return None
        where = " (or train it in the Documents tab)" if config.training_on else ""
        return f"Not trained yet: create it with `{TRAIN_FULL}`{where}."
    if isinstance(pipeline, RagLoraPipeline):  # the reader adapter's files (headers only)
        return check_adapter(Path(pipeline.resources.config.reader_adapter), READER)
    return None


def build_toggles(optional: Sequence[Pipeline]) -> list[gr.Checkbox]:
    """One switch per optional column, off at first; disabled with its note where the column
    cannot answer."""
    if not optional:
        return []
    with gr.Row():
        return [
            gr.Checkbox(
                label=f"Show the {p.title} column",
                value=False,
                elem_id=f"show-{p.name}",
                **_offer(p),
            )
            for p in optional
        ]


def connect_toggles(
    toggles: Sequence[gr.Checkbox],
    pipelines: Sequence[Pipeline],
    columns: Columns,
    turns: gr.State,
    conversations: gr.State,
) -> None:
    """A switch shows or hides its column; on page load, and when a column's note changes
    (weights trained since), each switch is offered again as its column can answer now."""
    optional = [i for i, p in enumerate(pipelines) if p.optional]
    for toggle, index in zip(toggles, optional, strict=True):
        toggle.change(
            partial(_switched, index),
            [toggle, turns, conversations],
            [columns.boxes[pipelines[index].name], columns.joined[index], columns.chats[index]],
            api_name=False,
        )
    if optional:
        refresh = _refresher([pipelines[i] for i in optional])
        gr.on(None, refresh, [columns.notes[i] for i in optional], list(toggles), api_name=False)


def _switched(index: int, on: bool, turns: list[Turn], histories: list[list[Any]]) -> list[Any]:
    """Show or hide an optional column; switched on, it says which questions it missed, under
    its chat and, while that is empty, in it."""
    if not on:
        return [gr.Column(visible=False), gr.update(), gr.update()]
    note = joined_note(turns, histories[index])
    return [gr.Column(visible=True), note, gr.Chatbot(placeholder=note or None)]


def _refresher(optional: Sequence[Pipeline]) -> Callable[..., Any]:
    """The switches as they should be now."""

    def refresh(*_: Any) -> Any:
        updates = []
        for offer in map(_offer, optional):  # a column that cannot answer is switched off
            off = {} if offer["interactive"] else {"value": False}
            updates.append(gr.Checkbox(**offer, **off))
        # Gradio takes a list returned for one output as that output's value
        return updates[0] if len(updates) == 1 else updates

    return refresh


def _offer(pipeline: Pipeline) -> dict[str, Any]:
    why = missing(pipeline)
    return {"interactive": why is None, "info": why}


def build_columns(pipelines: Sequence[Pipeline]) -> Columns:
    """One column per pipeline in one row: heading, chat, measurements, notes and sources."""
    parts = Columns([], [], [], [], [], {})
    with gr.Row(elem_id="columns"):
        for pipeline in pipelines:
            with gr.Column(
                min_width=COLUMN_MIN_PX,
                visible=not pipeline.optional,
                elem_id=column_id(pipeline.name),
            ) as box:
                parts.boxes[pipeline.name] = box
                gr.Markdown(f"### {pipeline.title}")
                parts.chats.append(
                    gr.Chatbot(
                        label=pipeline.title,
                        show_label=False,
                        height=380,
                        elem_id=f"chat-{pipeline.name}",
                        buttons=["copy"],
                    )
                )
                parts.stats.append(
                    gr.Markdown("", elem_id=f"stats-{pipeline.name}", elem_classes="answer-stats")
                )
                # below the chat, so that lines of different lengths do not misalign the columns
                parts.joined.append(
                    gr.Markdown("", elem_id=f"joined-{pipeline.name}", elem_classes="column-note")
                )
                parts.notes.append(
                    gr.Markdown("", elem_id=f"note-{pipeline.name}", elem_classes="column-note")
                )
                with gr.Accordion("Sources", open=True):
                    parts.sources.append(gr.Markdown("", elem_id=f"sources-{pipeline.name}"))
    return parts


def joined_note(turns: Sequence[Turn], history: Sequence[Any]) -> str:
    """What a column just switched on says when the conversation went on without it."""
    asked = len(turns)
    answered = sum(1 for m in history if isinstance(m, dict) and m.get("role") == "user")
    missed = asked - answered
    if missed <= 0:
        return ""
    if not answered:
        after = plural(asked, "question")
        return f"*Switched on after {after}: this column has no earlier answers.*"
    return f"*Off for {missed} of the {asked} questions so far: no answers to those here.*"
