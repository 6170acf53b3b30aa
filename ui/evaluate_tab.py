"""The Evaluate tab: a question set through every column, with progress, stop and downloads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from common.config import Config
from common.errors import PipelineError
from evaluation.outputs import run_and_write
from evaluation.report import plots_html, summary_table
from evaluation.run import DEFAULT_SETS, load_questions
from pipelines.core import Pipeline
from ui.jobs import Job, new_session_id

MakePipelines = Callable[[str | None], Sequence[Pipeline]]  # corpus folder (None = the app's)
APP_DOCUMENTS = "The app's documents (corpus and uploads)"

INTRO = """Runs a question set through every column and measures quality, retrieval, speed and
cost. Default set: the held-out test questions plus questions the corpus cannot answer. Upload
your own JSONL (`question`, `answers` list — empty means not answerable — optional `source`), and
choose the documents to evaluate against: the app's own, or a folder the operator listed in
`APP_EVAL_DIRS` (it gets its own index). One evaluation runs at a time."""


def build_evaluate_tab(make_pipelines: MakePipelines, config: Config) -> None:
    job = Job("An evaluation")
    folders = config.eval_folders
    with gr.Tab("Evaluate"):
        gr.Markdown(INTRO)
        upload, corpus, limit = _inputs(folders)
        with gr.Row():
            run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
            stop = gr.Button("Stop", elem_id="eval-stop")
        status = gr.Markdown("", elem_id="eval-status")
        table = gr.Markdown("", elem_id="eval-summary")
        plots = gr.HTML("", elem_id="eval-plots")
        files = gr.File(label="Results", file_count="multiple", elem_id="eval-files")
        owner = gr.State(None)  # this browser session's id for the Stop button, chosen here

        def start(
            upload_path: str | None,
            documents: str | None,
            count: float | None,
            session: str | None,
            request: gr.Request,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's injection idiom
        ) -> Iterator[list[Any]]:
            session = session or new_session_id()
            cap = 0 if request.username else config.eval_max_questions
            try:
                folder = _folder(documents, folders)
                items, capped = _questions(upload_path, count, cap)
            except (ValueError, OSError) as exc:
                yield [_refused(str(exc)), "", "", None, session]
                return
            if not job.start(session):
                yield [_refused(job.busy()), "", "", None, session]
                return
            try:
                pipelines = make_pipelines(str(folder) if folder else None)
                note = f" Capped at {cap} questions for visitors (APP_EVAL_MAX_QUESTIONS)."
                note = note if capped else ""
                for row in _run(items, pipelines, config, job.stop, progress, documents, note):
                    yield [*row, session]
            except (ValueError, OSError, PipelineError) as exc:
                yield [_refused(str(exc)), "", "", None, session]
            finally:
                job.finish()

        run.click(
            start,
            [upload, corpus, limit, owner],
            [status, table, plots, files, owner],
            concurrency_limit=4,  # a second request is answered "already running", not queued
            concurrency_id="evaluate",
        )
        stop.click(lambda session: job.halt(session or "") and None, owner, None, queue=False)


def _inputs(folders: dict[str, Path]) -> tuple[gr.File, gr.Dropdown, gr.Number]:
    """The question set, the documents to evaluate against and the questions per set."""
    with gr.Row():
        upload = gr.File(
            label="Question set (.jsonl, optional)", file_types=[".jsonl"], elem_id="eval-file"
        )
        with gr.Column():
            corpus = gr.Dropdown(
                choices=[APP_DOCUMENTS, *folders],
                value=APP_DOCUMENTS,
                label="Documents",
                elem_id="eval-corpus",
            )
            limit = gr.Number(
                value=10,
                precision=0,
                minimum=0,
                elem_id="eval-limit",
                label="Questions per set (0 = all)",
            )
    return upload, corpus, limit


def _folder(documents: str | None, folders: dict[str, Path]) -> Path | None:
    """The folder behind the Documents choice: None for the app's own documents."""
    if documents in (None, "", APP_DOCUMENTS):
        return None
    if documents not in folders:
        raise ValueError("Choose the app's documents or a folder from the list.")
    return folders[documents]


def _questions(upload: str | None, count: float | None, cap: int) -> tuple[list[dict], bool]:
    """The question items (the first `count` of each set), at most `cap` (0 = no cap) in all;
    and whether the cap cut them."""
    try:
        limit = max(0, int(count or 0))
    except (TypeError, ValueError, OverflowError):
        raise ValueError("Questions per set must be a whole number (0 = all).") from None
    paths = [Path(upload)] if upload else [Path(p) for p in DEFAULT_SETS]
    items = load_questions(paths, limit)
    if not items:
        raise ValueError("The question set is empty.")
    capped = bool(cap) and len(items) > cap
    return (items[:cap] if capped else items), capped


def _refused(message: str) -> str:
    gr.Warning(message)
    return f"**Not started:** {message}"


def _run(
    items: list[dict[str, Any]],
    pipelines: Sequence[Pipeline],
    config: Config,
    stop: threading.Event,
    progress: gr.Progress,
    documents: str | None,
    note: str,
) -> Iterator[list[Any]]:
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
                corpus=documents or APP_DOCUMENTS,
            )
        except Exception as exc:  # shown to the user; the traceback goes to the log
            result["error"] = exc
            raise

    worker = threading.Thread(target=work, name="evaluate", daemon=True)
    worker.start()
    while worker.is_alive():
        progress((done[0], done[1]), desc="answers", unit="answers")
        stopping = " (stopping)" if stop.is_set() else ""
        yield [f"Running… {done[0]} of {done[1]} answers{stopping}.{note}", "", "", None]
        worker.join(timeout=1.0)
    if "error" in result:
        yield [f"**Failed:** {result['error']}", "", "", None]
        return
    stopped = " (stopped early)" if stop.is_set() else ""
    paths = result["paths"]
    folder = paths["report_html"].parent.relative_to(config.data_path)
    yield [
        f"Done{stopped}: {done[0]} answers. Files in `{folder}` of the data folder.{note}",
        summary_table(result["summary"]),
        plots_html(result["summary"]),
        [str(p) for p in paths.values()],
    ]
