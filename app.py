"""The Gradio web chat: one question, answered side by side by every registered pipeline.

    python app.py        # then open http://127.0.0.1:7860

UI wiring only; the pipelines live in pipelines/. Nothing heavy happens at import.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from pipelines.config import Config, ConfigError
from pipelines.core import Pipeline, PipelineError
from pipelines.render import sources_markdown, stats_markdown
from pipelines.runner import run_all
from ui.evaluate_tab import MakePipelines, build_evaluate_tab

log = logging.getLogger("app")

INTRO = """# RAG vs fine-tuning
The same small language model answers every question three ways: **as it is**, with **retrieved
passages** from the document corpus (RAG), and with a **LoRA adapter** fine-tuned on questions about
that corpus. Compare the answers, their sources, latency and token cost."""

EXAMPLES = [
    "What is the monthly uptime commitment in Tessaline's SLA?",
    "What is the default IP address of the HX-40 gateway on its LAN port ETH2?",
    "How long does the HX-40 buffer data when the cloud is unreachable?",
    "How many days before the term ends must a Tessaline customer give notice to stop renewal?",
    "What is the capital of France?",  # general knowledge: the base model knows it
    "Which Bluetooth version does the HX-40 gateway support?",  # the documents do not say
]
CSS = ".answer-stats { font-size: 0.85em; min-height: 4.5em; }"


def build_app(
    pipelines: Sequence[Pipeline], config: Config, make_pipelines: MakePipelines | None = None
) -> gr.Blocks:
    """The whole UI for `pipelines` (one column each). Building it loads nothing.
    `make_pipelines(folder)` gives pipelines over another corpus for the Evaluate tab."""
    with gr.Blocks(title="RAG vs fine-tuning", analytics_enabled=False) as demo:
        gr.Markdown(INTRO)
        with gr.Tab("Chat"):
            _chat(pipelines, config)
        build_evaluate_tab(make_pipelines or _only(pipelines), config)
    return demo


def _only(pipelines: Sequence[Pipeline]) -> MakePipelines:
    def make(folder: str | None) -> Sequence[Pipeline]:
        if folder:
            raise ValueError("This app was started without the means to index another corpus.")
        return pipelines

    return make


def _chat(pipelines: Sequence[Pipeline], config: Config) -> None:
    """The question box and one streaming column per pipeline."""
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            placeholder="Ask about the HX-40 manual or the Tessaline agreements…",
            show_label=False,
            scale=5,
            elem_id="question",
            max_length=4000,
        )
        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        clear = gr.Button("Clear", scale=0, elem_id="clear")
    optional = [p for p in pipelines if p.optional]
    toggles = []
    if optional:
        with gr.Row():
            for pipeline in optional:
                toggles.append(
                    gr.Checkbox(
                        label=f"Show the {pipeline.title} column",
                        value=False,
                        elem_id=f"show-{pipeline.name}",
                    )
                )
    chats, stats, sources, columns = [], [], [], {}
    with gr.Row():
        for pipeline in pipelines:
            with gr.Column(min_width=280, visible=not pipeline.optional) as column:
                columns[pipeline.name] = column
                gr.Markdown(f"### {pipeline.title}")
                chats.append(
                    gr.Chatbot(
                        label=pipeline.title,
                        show_label=False,
                        height=380,
                        elem_id=f"chat-{pipeline.name}",
                        buttons=["copy"],
                    )
                )
                stats.append(
                    gr.Markdown(
                        "",
                        elem_id=f"stats-{pipeline.name}",
                        elem_classes="answer-stats",
                    )
                )
                with gr.Accordion("Sources", open=True):
                    sources.append(gr.Markdown("", elem_id=f"sources-{pipeline.name}"))
    gr.Examples(EXAMPLES, inputs=question, label="Try these")

    for toggle, pipeline in zip(toggles, optional, strict=True):
        toggle.change(lambda on: gr.Column(visible=on), toggle, columns[pipeline.name])

    def answer_all(text: str, *values: Any) -> Iterator[list[Any]]:
        histories, switched_on = values[: len(pipelines)], iter(values[len(pipelines) :])
        shown = [not p.optional or bool(next(switched_on)) for p in pipelines]
        text = (text or "").strip()
        if not text:
            gr.Warning("Type a question first.")
            yield [gr.update(), *histories, *[gr.update()] * (2 * len(pipelines))]
            return
        active = [i for i, on in enumerate(shown) if on]  # hidden columns are not asked
        chat: list[Any] = list(histories)
        stat: list[Any] = [gr.update()] * len(pipelines)
        src: list[Any] = [gr.update()] * len(pipelines)
        for i in active:
            chat[i] = [
                *histories[i],
                {"role": "user", "content": text},
                {"role": "assistant", "content": "…"},
            ]
            stat[i], src[i] = "*waiting for the model…*", ""
        yield ["", *chat, *stat, *src]
        asked = [pipelines[i] for i in active]
        for update in run_all(asked, text, [histories[i] for i in active]):
            i = active[update.index]
            if update.error is not None:
                chat[i][-1] = {"role": "assistant", "content": f"**Error:** {update.error}"}
                stat[i] = "*no answer*"
            else:
                answer = update.answer
                chat[i][-1] = {"role": "assistant", "content": answer.text or "…"}
                stat[i] = stats_markdown(answer, config.currency)
                src[i] = sources_markdown(answer, config.corpus_dir)
            yield ["", *chat, *stat, *src]

    outputs = [question, *chats, *stats, *sources]
    for event in (ask.click, question.submit):
        event(answer_all, [question, *chats, *toggles], outputs, concurrency_limit=4)
    clear.click(
        lambda: [[]] * len(chats) + [""] * (2 * len(pipelines)),
        None,
        [*chats, *stats, *sources],
    )


def main() -> None:
    from pipelines.registry import build_pipelines, default_names
    from pipelines.resources import Resources
    from scripts.build_index import tqdm_progress
    from scripts.cli import setup

    setup()
    try:
        config = Config.from_env()
        resources = Resources(config, progress=tqdm_progress())
        resources.warm_up()
    except (ConfigError, PipelineError) as exc:
        log.error("cannot start: %s", exc)
        raise SystemExit(2) from None

    def make_pipelines(folder: str | None) -> list[Pipeline]:
        chosen = resources.with_corpus(folder) if folder else resources
        return build_pipelines(chosen, default_names())  # the Evaluate tab: default columns

    demo = build_app(build_pipelines(resources), config, make_pipelines)
    demo.queue(default_concurrency_limit=4).launch(
        server_name=config.host,
        server_port=config.port,
        allowed_paths=[config.data_dir, config.corpus_dir],  # corpus: sources link to it
        css=CSS,
        theme=gr.themes.Soft(),
    )


if __name__ == "__main__":
    main()
