"""The Gradio web chat: one question, answered side by side by every registered pipeline.

    python app.py        # then open http://127.0.0.1:7860

UI wiring only; the pipelines live in pipelines/, the tabs in ui/. Nothing heavy at import.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import gradio as gr

from arena.store import VoteStore
from common.config import Config
from common.errors import ConfigError, PipelineError
from evaluation.grounded import IndexOf
from pipelines.core import Pipeline
from ui.arena_tab import build_arena
from ui.chat_tab import Notes, build_chat
from ui.cost_tab import build_cost_tab
from ui.documents_tab import Library, build_documents_tab
from ui.evaluate_tab import MakePipelines, build_evaluate_tab
from ui.evidence_panel import build_evidence
from ui.explainer_tab import build_explainer_tab
from ui.feedback import build_feedback
from ui.leaderboard import Leaderboard
from ui.notes import column_notes
from ui.refusals import Blocks
from ui.votes_panel import build_votes
from ui.web import launch_options

log = logging.getLogger("app")
VOTES_DB = "votes.sqlite"  # the arena's store, in the data folder

INTRO = """# RAG vs fine-tuning
The same small language model answers every question three ways: **as it is**, with **retrieved
passages** from the document corpus (RAG), and with a **LoRA adapter** fine-tuned on questions about
that corpus. Compare the answers, their sources, latency and token cost. Two more columns can be
switched on: RAG with a **reader** adapter fine-tuned to read the passages, and the model
**retrained** in full (every weight) on the same data. The **Arena** tab asks the same columns
blind (Answer A, B, C) and ranks them by the votes cast before the names were shown."""
CSS = """.answer-stats { font-size: 0.85em; min-height: 4.5em; }
.column-note { font-size: 0.8em; color: var(--body-text-color-subdued); }"""


def build_app(
    pipelines: Sequence[Pipeline],
    config: Config,
    make_pipelines: MakePipelines | None = None,
    library: Library | None = None,
    notes: Notes | None = None,
    votes: VoteStore | None = None,
) -> gr.Blocks:
    """The whole UI for `pipelines` (one column each). Building it loads nothing.
    `make_pipelines(folder)` gives pipelines over another corpus for the Evaluate tab (and
    that corpus's index for its evidence check);
    `library` (the app's documents and index) adds the Documents tab; `notes()` gives each
    column a line on what it knows (the index, the adapter's training snapshot); `votes`, the
    arena's store (by default the data folder's)."""
    from documents.store import Documents

    documents = library.documents if library else Documents(config)
    votes = votes if votes is not None else VoteStore(config.data_path / VOTES_DB)
    titles = {p.name: p.title for p in pipelines}
    ratings = Leaderboard(votes, titles)
    with Blocks(title="RAG vs fine-tuning", analytics_enabled=False) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs(selected="arena" if config.blind_on else "chat"):
            with gr.Tab("Chat", id="chat"):
                parts = build_chat(pipelines, config, documents.locate, notes)
                board = build_votes(parts, pipelines, config, votes, ratings)
                build_feedback(parts, pipelines, votes)
                build_evidence(
                    parts, pipelines, library.index if library else None, documents.locate
                )
            with gr.Tab("Arena (blind)", id="arena") as arena_tab:
                arena = build_arena(
                    pipelines, config, votes, parts.session, documents.locate, ratings.html
                )
            if library is not None:
                build_documents_tab(
                    library, config, demo, (parts.notes, parts.note_lines) if parts.notes else None
                )
            build_cost_tab(parts.turns, pipelines, config)
            build_explainer_tab(
                parts.turns, config, documents.files, (lambda: library.config) if library else None
            )
            build_evaluate_tab(make_pipelines or _only(pipelines), config)
        demo.load(lambda: [ratings.html()] * 2, None, [board, arena.board])
        # a vote in one tab changes the other tab's leaderboard too
        arena.voted.then(
            ratings.html, None, board, api_visibility="private", trigger_mode="always_last"
        )
        arena_tab.select(ratings.html, None, arena.board, api_visibility="private")
        if parts.notes is not None:
            demo.load(parts.notes, None, parts.note_lines)
    return demo


def _only(pipelines: Sequence[Pipeline]) -> MakePipelines:
    def make(folder: str | None) -> tuple[Sequence[Pipeline], None]:
        if folder:
            raise ValueError("This app was started without the means to index another corpus.")
        return pipelines, None  # no index to check the answers' values in

    return make


def main() -> None:
    from common.logs import setup, tqdm_progress
    from pipelines.registry import build_pipelines, default_names
    from pipelines.resources import Resources

    setup()
    try:
        config = Config.from_env()
        resources = Resources(config, progress=tqdm_progress())
        resources.warm_up()
    except (ConfigError, PipelineError) as exc:
        log.error("cannot start: %s", exc)
        raise SystemExit(2) from None

    def make_pipelines(folder: str | None) -> tuple[list[Pipeline], IndexOf]:
        chosen = resources.with_corpus(folder) if folder else resources
        # the Evaluate tab: default columns, and the evidence check on (the same index)
        return build_pipelines(chosen, default_names()), chosen.index

    votes = VoteStore(config.data_path / VOTES_DB)  # one store: the votes and the shared pages
    demo = build_app(
        build_pipelines(resources),
        config,
        make_pipelines,
        resources,
        column_notes(resources),
        votes=votes,
    )
    if config.training == "on" and config.public:
        log.warning(
            "APP_TRAINING=on while the app listens on %s without APP_AUTH: any visitor can "
            "start a training run",
            config.host,
        )
    demo.queue(default_concurrency_limit=4).launch(
        server_name=config.host,
        server_port=config.port,
        css=CSS,
        theme=gr.themes.Soft(),
        **launch_options(config, resources.documents.locate, votes),
    )


if __name__ == "__main__":
    main()
