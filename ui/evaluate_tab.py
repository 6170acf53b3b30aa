"""The Evaluate tab: a question set through every column, with progress, stop and downloads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from evaluation.outputs import run_and_write
from evaluation.report import plots_html, summary_table
from evaluation.run import DEFAULT_SETS, load_questions
from pipelines.config import Config
from pipelines.core import Pipeline, PipelineError

MakePipelines = Callable[[str | None], Sequence[Pipeline]]  # corpus folder (None = the app's)
_STOPS: dict[str, threading.Event] = {}  # per browser session

INTRO = """Runs a question set through every column and measures quality, retrieval, speed and
cost. Default set: the held-out test questions plus questions the corpus cannot answer. Upload
your own JSONL (`question`, `answers` list — empty means not answerable — optional `source`), and
optionally name another folder of documents to evaluate against (it gets its own index)."""


def build_evaluate_tab(make_pipelines: MakePipelines, config: Config) -> None:
    with gr.Tab("Evaluate"):
        gr.Markdown(INTRO)
        with gr.Row():
            upload = gr.File(
                label="Question set (.jsonl, optional)", file_types=[".jsonl"], elem_id="eval-file"
            )
            with gr.Column():
                corpus = gr.Textbox(label="Corpus folder (optional)", elem_id="eval-corpus")
                limit = gr.Number(
                    value=10,
                    precision=0,
                    minimum=0,
                    elem_id="eval-limit",
                    label="Questions per set (0 = all)",
                )
        with gr.Row():
            run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
            stop = gr.Button("Stop", elem_id="eval-stop")
        status = gr.Markdown("", elem_id="eval-status")
        table = gr.Markdown("", elem_id="eval-summary")
        plots = gr.HTML("", elem_id="eval-plots")
        files = gr.File(label="Results", file_count="multiple", elem_id="eval-files")

        def start(
            upload_path: str | None,
            folder: str,
            count: float,
            request: gr.Request,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's injection idiom
        ) -> Iterator[list[Any]]:
            try:
                items, pipelines = _prepare(make_pipelines, upload_path, folder, int(count or 0))
            except (ValueError, OSError, PipelineError) as exc:
                gr.Warning(str(exc))
                yield [f"**Not started:** {exc}", "", "", None]
                return
            yield from _run(items, pipelines, config, request.session_hash, progress)

        run.click(
            start, [upload, corpus, limit], [status, table, plots, files], concurrency_limit=1
        )

        def halt(request: gr.Request) -> None:
            if request.session_hash in _STOPS:
                _STOPS[request.session_hash].set()

        stop.click(halt, None, None, queue=False)


def _prepare(
    make_pipelines: MakePipelines, upload: str | None, folder: str, limit: int
) -> tuple[list[dict[str, Any]], Sequence[Pipeline]]:
    folder = (folder or "").strip()
    if folder and not Path(folder).is_dir():
        raise ValueError(f"No such folder: {folder}")
    paths = [Path(upload)] if upload else [Path(p) for p in DEFAULT_SETS]
    items = load_questions(paths, limit)
    if not items:
        raise ValueError("The question set is empty.")
    return items, make_pipelines(folder or None)


def _run(
    items: list[dict[str, Any]],
    pipelines: Sequence[Pipeline],
    config: Config,
    session: str,
    progress: gr.Progress,
) -> Iterator[list[Any]]:
    stop = _STOPS[session] = threading.Event()
    done = [0, len(items) * len(pipelines)]
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["summary"], result["paths"] = run_and_write(
                pipelines,
                items,
                config,
                progress=lambda n, total: done.__setitem__(0, n),
                stop=stop,
            )
        except Exception as exc:  # shown to the user; the traceback goes to the log
            result["error"] = exc
            raise

    worker = threading.Thread(target=work, name="evaluate", daemon=True)
    worker.start()
    while worker.is_alive():
        progress((done[0], done[1]), desc="answers", unit="answers")
        note = " (stopping)" if stop.is_set() else ""
        yield [
            f"Running… {done[0]} of {done[1]} answers{note}",
            "",
            "",
            None,
        ]
        worker.join(timeout=1.0)
    _STOPS.pop(session, None)
    if "error" in result:
        yield [f"**Failed:** {result['error']}", "", "", None]
        return
    stopped = " (stopped early)" if stop.is_set() else ""
    paths = result["paths"]
    yield [
        f"Done{stopped}: {done[0]} answers. Files in `{paths['report_html'].parent}`.",
        summary_table(result["summary"]),
        plots_html(result["summary"]),
        [str(p) for p in paths.values()],
    ]
