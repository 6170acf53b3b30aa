"""The Chat tab: one question, answered side by side by every shown column, streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from common.config import Config
from common.messages import MAX_QUESTION_CHARS, clean_history, clean_question
from pipelines.core import Answer, Pipeline
from pipelines.rag import RagPipeline
from pipelines.runner import run_all
from ui.columns import build_columns, build_toggles, connect_toggles
from ui.layout import FOLLOW_NEWEST, Line, build_summary, summary_html
from ui.render import answer_text, sources_markdown, stats_markdown
from ui.transcript import Turn

EXAMPLES = [
    "What is the default IP address of the HX-40 gateway on its LAN port ETH2?",
    "What is the monthly uptime commitment in Tessaline's SLA?",
    "How long does the HX-40 buffer data when the cloud is unreachable?",
    "How many days before the term ends must a Tessaline customer give notice to stop renewal?",
    # Changed: backups moved from eu-central-1 to eu-west-1 (DPA revision history); RAG finds
    # the current region, the LoRA column answers the old one.
    "Which AWS region holds Tessaline's backups?",
    "What is the capital of France?",  # general knowledge: the base model knows it
    "Which Bluetooth version does the HX-40 gateway support?",  # the documents do not say
]
Locate = Callable[[str], Path | None]  # a source's document -> its file, for the link
Notes = Callable[[], dict[str, str]]  # column name -> a line on what it knows (index, snapshot)


@dataclass
class ChatParts:
    """What other panels (votes, export) hook onto."""

    turns: gr.State  # list[Turn] of this browser session
    session: gr.State  # this browser session's id, chosen by the server (None until needed)
    answered: list[Any]  # the answer events: `.then(...)` on each runs after every answer
    shown: list[gr.Checkbox]  # one per optional column
    optional: list[Pipeline]
    clear: gr.Button
    notes: Callable[[], list[str]] | None  # the column notes, for the app to fill on page load
    note_lines: list[gr.Markdown]
    boxes: dict[str, gr.Column]  # column name -> its box on the page (feedback goes under it)


def build_chat(
    pipelines: Sequence[Pipeline], config: Config, locate: Locate, notes: Notes | None = None
) -> ChatParts:
    """The question box, the optional-column switches and one streaming column per pipeline."""
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            placeholder="Ask about the HX-40 manual or the Tessaline agreements…",
            show_label=False,
            scale=5,
            elem_id="question",
            max_length=MAX_QUESTION_CHARS,
        )
        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        clear = gr.Button("Clear", scale=0, elem_id="clear")
    optional = [p for p in pipelines if p.optional]
    toggles = build_toggles(optional)
    summary = build_summary()  # a line per column, above them, on a phone only
    columns = build_columns(pipelines)
    chats, stats, sources, lines = columns.chats, columns.stats, columns.sources, columns.notes
    settings = (
        _retrieval_settings(config) if any(isinstance(p, RagPipeline) for p in pipelines) else []
    )
    examples = _examples()
    turns = gr.State([])
    # What each column's chat shows, kept on the server: the conversation a column answers from
    # is never taken from the browser (a client could send any turns).
    conversations = gr.State([[] for _ in pipelines])

    connect_toggles(toggles, pipelines, columns, turns, conversations)

    answer_all = _answerer(pipelines, config, locate)
    # the summary last: API clients read the chats and stats by their places
    outputs = [question, *chats, *stats, *sources, turns, conversations, summary]
    inputs = [question, turns, conversations, *toggles, *settings]
    answered = [
        # one limit for both triggers: at most 4 questions in flight (the engine batches them)
        event(
            answer_all,
            inputs,
            outputs,
            concurrency_limit=4,
            concurrency_id="answer",
            api_name=api_name,  # /answer_all: the load test, benchmarks and tests call it
        )
        for event, api_name in ((ask.click, "answer_all"), (question.submit, "answer_all_1"))
    ]
    for trigger in (ask.click, question.submit, *(b.click for b in examples)):
        trigger(None, None, None, js=FOLLOW_NEWEST, api_name=False)
    # An example asks its question at once (put in the box first, so it reads as asked).
    for button, example in zip(examples, EXAMPLES, strict=True):
        answered.append(
            button.click(lambda text=example: text, None, question, api_name=False).then(
                answer_all,
                inputs,
                outputs,
                concurrency_limit=4,
                concurrency_id="answer",
                api_name=False,
            )
        )
    count = len(pipelines)
    clear.click(
        lambda: (
            [gr.Chatbot(value=[], placeholder=None)] * count
            + [""] * (2 * count)
            + [[], [[] for _ in pipelines]]
            + [""] * (count + 1)  # the columns' "switched on after …" lines, the summary
        ),
        None,
        [*chats, *stats, *sources, turns, conversations, *columns.joined, summary],
    )
    refresh = _refresher(pipelines, notes)
    if refresh is not None:
        for event in answered:
            event.then(refresh, None, lines)
    session = gr.State(None)
    return ChatParts(
        turns, session, answered, toggles, optional, clear, refresh, lines, columns.boxes
    )


def _examples() -> list[gr.Button]:
    """One button per example question, its whole text on it (wrapped, never cut)."""
    gr.Markdown("**Try these** (click one to ask it)")
    with gr.Row(elem_id="examples"):
        return [
            gr.Button(example, size="sm", elem_classes="example", min_width=160)
            for example in EXAMPLES
        ]


def _retrieval_settings(config: Config) -> list[Any]:
    """The RAG columns' retrieval for this browser session, from the configured defaults: what
    a stakeholder changes to watch an answer change with its passages."""
    with gr.Accordion("Retrieval settings (RAG columns, this session)", open=False), gr.Row():
        top_k = gr.Slider(
            1, 10, value=config.top_k, step=1, label="Passages (top-k)", elem_id="top-k"
        )
        context = gr.Radio(
            [("Evidence sentences", "evidence"), ("Whole passages", "chunks")],
            value=config.rag_context,
            label="What the model reads",
            elem_id="rag-context",
        )
        hybrid = gr.Checkbox(
            value=config.retrieval == "hybrid",
            label="Hybrid search (keywords + vectors)",
            elem_id="hybrid",
        )
    return [top_k, context, hybrid]


def _retrieval(values: Sequence[Any]) -> dict[str, Any] | None:
    """This session's retrieval settings (the three controls' values), as `tuned` takes them."""
    if len(values) != 3:
        return None
    top_k, context, hybrid = values
    return {
        "top_k": int(top_k),
        "rag_context": str(context),
        "retrieval": "hybrid" if hybrid else "dense",
    }


def _tuned(pipeline: Pipeline, values: Sequence[Any]) -> Pipeline:
    """A RAG column with this session's retrieval settings (any other column as it is)."""
    chosen = _retrieval(values)
    if not isinstance(pipeline, RagPipeline) or chosen is None:
        return pipeline
    return pipeline.tuned(**chosen)


def _refresher(
    pipelines: Sequence[Pipeline], notes: Notes | None
) -> Callable[[], list[str]] | None:
    """The column notes in column order (the documents may change between questions)."""
    if notes is None:
        return None
    names = [p.name for p in pipelines]

    def refresh() -> list[str]:
        known = notes()
        return [known.get(name, "") for name in names]

    return refresh


def _answerer(
    pipelines: Sequence[Pipeline], config: Config, locate: Locate
) -> Callable[..., Iterator[list[Any]]]:
    count = len(pipelines)

    optional = sum(p.optional for p in pipelines)

    def answer_all(
        text: str, turns: list[Turn], histories: list[list[Any]], *choices: Any
    ) -> Iterator[list[Any]]:
        # the optional-column switches, then the retrieval settings (missing ones: defaults)
        shown = _shown(pipelines, choices[:optional])
        settings = choices[optional:]
        text, notice = clean_question(text if isinstance(text, str) else "")
        if notice:
            gr.Warning(notice)
        if not text:
            gr.Warning("Type a question first.")
            unchanged = [gr.update()] * (2 * count)
            yield [gr.update(), *histories, *unchanged, turns, histories, gr.update()]
            return
        active = [i for i, on in enumerate(shown) if on]  # hidden columns are not asked
        chat: list[Any] = [list(history) for history in histories]
        stat: list[Any] = [gr.update()] * count
        src: list[Any] = [gr.update()] * count
        shown_text = f"{text} […]" if notice else text
        for i in active:
            chat[i] = [
                *histories[i],
                {"role": "user", "content": shown_text},
                {"role": "assistant", "content": "…"},
            ]
            stat[i], src[i] = "*waiting for the model…*", ""
        asked_at = datetime.now(UTC).isoformat(timespec="seconds")
        final: dict[str, Answer] = {}
        failed: set[str] = set()
        yield ["", *chat, *stat, *src, turns, chat, _summary(pipelines, active, final, failed)]
        asked = [_tuned(pipelines[i], settings) for i in active]
        for state in run_all(asked, text, [clean_history(histories[i]) for i in active]):
            i = active[state.index]
            name = pipelines[i].name
            if state.error is not None:
                chat[i][-1] = {"role": "assistant", "content": f"**Error:** {state.error}"}
                stat[i] = "*no answer*"
                final[name] = Answer(name, text=f"Error: {state.error}")
                failed.add(name)
            else:
                answer = state.answer
                chat[i][-1] = {"role": "assistant", "content": answer_text(answer) or "…"}
                stat[i] = stats_markdown(answer, config.currency)
                src[i] = sources_markdown(answer, locate, config.rag_min_score)
                final[name] = answer
            yield ["", *chat, *stat, *src, turns, chat, _summary(pipelines, active, final, failed)]
        # in the columns' order, as shown (the answers finished in any order)
        ordered = {p.name: final[p.name] for p in pipelines if p.name in final}
        used = _settings(config, settings) if any(isinstance(p, RagPipeline) for p in asked) else {}
        turn = Turn(text, asked_at, ordered, settings={**_model(config), **used})
        yield ["", *chat, *stat, *src, [*turns, turn], chat, gr.update()]

    return answer_all


def _model(config: Config) -> dict[str, str]:
    """The model and adapters the columns answer with, as the records of a question keep them."""
    names = {"model": config.model, "adapter": config.adapter, "reader": config.reader_adapter}
    return {key: Path(value).name for key, value in names.items()}


def _settings(config: Config, values: Sequence[Any]) -> dict[str, Any]:
    """The retrieval settings the RAG columns used for a question (the session's)."""
    names = ("top_k", "rag_context", "retrieval")
    return _retrieval(values) or {name: getattr(config, name) for name in names}


def _summary(
    pipelines: Sequence[Pipeline], active: Sequence[int], final: dict[str, Answer], failed: set
) -> str:
    """The phone's line per asked column: its answer so far (or error) and its latency."""
    lines = []
    for pipeline in (pipelines[i] for i in active):
        answer = final.get(pipeline.name)
        if answer is None:
            lines.append(Line(pipeline.name, pipeline.title, "waiting for the model…"))
        else:
            done = answer.done or pipeline.name in failed
            seconds = answer.total_s if answer.done else None
            lines.append(Line(pipeline.name, pipeline.title, answer_text(answer), seconds, done))
    return summary_html(lines)


def _shown(pipelines: Sequence[Pipeline], switched_on: Sequence[Any]) -> list[bool]:
    """Which columns are shown: every mandatory one, and each optional one whose switch (in
    order; a missing one is off) is on."""
    values = iter(switched_on)
    return [bool(next(values, False)) if p.optional else True for p in pipelines]
