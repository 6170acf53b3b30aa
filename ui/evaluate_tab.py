"""The Evaluate tab: a question set through every column, with progress, stop and downloads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from itertools import zip_longest
from pathlib import Path
from typing import Any

import gradio as gr

from common.config import Config
from common.errors import PipelineError
from documents.store import Documents
from evaluation.grounded import IndexOf
from evaluation.outputs import describe_documents, run_and_write
from evaluation.report import plots_html, summary_html
from evaluation.run import DEFAULT_SETS, load_questions
from pipelines.core import Pipeline
from ui.jobs import Job, new_session_id
from ui.render import plural

# a corpus folder (None = the app's) -> the columns over it, and a getter of its index for the
# evidence check once the answers are in (None: no check)
MakePipelines = Callable[[str | None], tuple[Sequence[Pipeline], IndexOf | None]]
APP_DOCUMENTS = "The app's documents (corpus and uploads)"
LIMIT = 10  # questions asked by default

INTRO = """Runs a question set through every column and measures quality, retrieval, speed and
cost. Default set: the held-out test questions plus questions the corpus cannot answer, taken in
turn from each so that a short run asks both kinds. Upload your own JSONL (`question`, `answers`
list — empty means not answerable — optional `source`), and choose the documents to evaluate
against: the app's own, or a folder the operator listed in `APP_EVAL_DIRS` (it gets its own
index). Once every answer is in, each answer's values (numbers, periods, dates, names…) are looked
up in those documents: the share supported or contradicted per column needs no gold answers. One
evaluation runs at a time."""


def build_evaluate_tab(make_pipelines: MakePipelines, config: Config) -> None:
    job = Job("An evaluation")
    folders = config.eval_folders
    with gr.Tab("Evaluate"):
        gr.Markdown(INTRO)
        upload, corpus, limit = _inputs(folders)
        plan = gr.Markdown(_plan(None, LIMIT, config.eval_max_questions), elem_id="eval-plan")
        with gr.Row():
            run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
            stop = gr.Button("Stop", elem_id="eval-stop")
        status = gr.Markdown("", elem_id="eval-status")  # the one progress display
        table = gr.HTML("", elem_id="eval-summary")
        plots = gr.HTML("", elem_id="eval-plots")
        files = gr.File(label="Results", file_count="multiple", elem_id="eval-files")
        owner = gr.State(None)  # this browser session's id for the Stop button, chosen here

        def show_plan(upload_path: str | None, count: float | None, request: gr.Request) -> str:
            return _plan(upload_path, count, _cap(config, request))

        def start(
            upload_path: str | None,
            documents: str | None,
            count: float | None,
            session: str | None,
            request: gr.Request,
        ) -> Iterator[list[Any]]:
            session = session or new_session_id()
            cap = _cap(config, request)
            try:
                folder = _folder(documents, folders)
                items, capped = _questions(_sets(upload_path), count, cap)
            except (ValueError, OSError) as exc:
                yield [_refused(_message(exc)), "", "", None, session]
                return
            if not job.start(session):
                yield [_refused(job.busy()), "", "", None, session]
                return
            try:
                pipelines, index = make_pipelines(str(folder) if folder else None)
                evaluated = _evaluated(config, folder)
                note = f" Capped at {cap} questions for visitors (APP_EVAL_MAX_QUESTIONS)."
                note = note if capped else ""
                for row in _run(items, pipelines, config, job.stop, evaluated, note, index):
                    yield [*row, session]
            except (ValueError, OSError, PipelineError) as exc:
                yield [_refused(_message(exc)), "", "", None, session]
            finally:
                job.finish()

        for control in (upload, limit):
            control.change(show_plan, [upload, limit], plan, queue=False, api_visibility="private")
        run.click(
            start,
            [upload, corpus, limit, owner],
            [status, table, plots, files, owner],
            show_progress="hidden",  # the status line shows progress, once, above the results
            concurrency_limit=4,  # a second request is answered "already running", not queued
            concurrency_id="evaluate",
        )
        stop.click(lambda session: job.halt(session or "") and None, owner, None, queue=False)


def _inputs(folders: dict[str, Path]) -> tuple[gr.File, gr.Dropdown, gr.Number]:
    """The question set, the documents to evaluate against and how many questions in all."""
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
                value=LIMIT,
                precision=0,
                minimum=0,
                elem_id="eval-limit",
                label="Questions in all (0 = every question)",
            )
    return upload, corpus, limit


def _cap(config: Config, request: gr.Request) -> int:
    """The most questions this request may ask (0 = no cap): visitors are capped, users not."""
    return 0 if request.username else config.eval_max_questions


def _folder(documents: str | None, folders: dict[str, Path]) -> Path | None:
    """The folder behind the Documents choice: None for the app's own documents."""
    if documents in (None, "", APP_DOCUMENTS):
        return None
    if documents not in folders:
        raise ValueError("Choose the app's documents or a folder from the list.")
    return folders[documents]


def _evaluated(config: Config, folder: Path | None) -> str:
    """What the report says was evaluated: the app's live index (edits and uploads included)
    or a listed folder's own index, by name and counts."""
    if folder is None:
        return describe_documents(Documents(config), "the app's index")
    return describe_documents(Documents(config.for_corpus(str(folder))), "the folder's own index")


def _sets(upload: str | None) -> dict[str, list[dict]]:
    """The question sets by file name: the upload, else the default sets."""
    paths = [Path(upload)] if upload else [Path(p) for p in DEFAULT_SETS]
    return {path.name: load_questions([path]) for path in paths}


def _count(count: float | None) -> int:
    try:
        return max(0, int(count or 0))
    except (TypeError, ValueError, OverflowError):
        raise ValueError("Questions in all must be a whole number (0 = every question).") from None


def _questions(
    sets: dict[str, list[dict]], count: float | None, cap: int
) -> tuple[list[dict], bool]:
    """`count` questions in all (0 = every one), taken in turn from each set so that a short
    run mixes them, at most `cap` (0 = no cap); and whether the cap cut them."""
    limit = _count(count)
    mixed = [item for row in zip_longest(*sets.values()) for item in row if item is not None]
    items = mixed[:limit] if limit else mixed
    if not items:
        raise ValueError("The question set is empty.")
    capped = bool(cap) and len(items) > cap
    return (items[:cap] if capped else items), capped


def _plan(upload: str | None, count: float | None, cap: int) -> str:
    """What Run will ask, said before it starts: the total and how many from each set."""
    try:
        sets = _sets(upload)
        items, capped = _questions(sets, count, cap)
    except (ValueError, OSError) as exc:
        return f"**Cannot run:** {_message(exc)}"
    chosen = {id(item) for item in items}
    parts = [
        f"{sum(id(item) in chosen for item in rows)} of the {len(rows)} in {name}"
        for name, rows in sets.items()
    ]
    note = f" (capped at {cap} for visitors)" if capped else ""
    total = plural(len(items), "question")
    return f"Will ask **{total}**{note}: {', '.join(parts)}; each to every column."


def _message(exc: Exception) -> str:
    """An error as a visitor may read it: a file error names the file, never its folder."""
    if isinstance(exc, OSError):
        name = Path(str(exc.filename)).name if exc.filename else "a file"
        return f"{name}: {exc.strerror or type(exc).__name__}"
    return str(exc)


def _refused(message: str) -> str:
    gr.Warning(message)
    return f"**Not started:** {message}"


def _running(done: int, total: int, note: str, stopping: bool, checking: bool = False) -> str:
    """The status line while a run goes on: a bar and the count, in one place; `checking`:
    every answer is in and their values are being looked up in the documents."""
    halt = " (stopping)" if stopping else ""
    then = "; looking up their values in the documents" if checking and not stopping else ""
    return (
        f'<progress max="{total}" value="{done}" style="width:100%"></progress>\n\n'
        f"Running… {done} of {total} answers{then}{halt}.{note}"
    )


def _run(
    items: list[dict[str, Any]],
    pipelines: Sequence[Pipeline],
    config: Config,
    stop: threading.Event,
    evaluated: str,
    note: str,
    index: IndexOf | None = None,
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
                documents=evaluated,
                index=index,
            )
        except Exception as exc:  # shown to the user; the traceback goes to the log
            result["error"] = exc
            raise

    worker = threading.Thread(target=work, name="evaluate", daemon=True)
    worker.start()
    while worker.is_alive():
        checking = index is not None and done[0] == done[1]
        yield [_running(done[0], done[1], note, stop.is_set(), checking), "", "", None]
        worker.join(timeout=1.0)
    if "error" in result:
        yield [f"**Failed:** {_failure(result['error'])}", "", "", None]
        return
    stopped = " (stopped early)" if stop.is_set() else ""
    paths = result["paths"]
    folder = paths["report_html"].parent.relative_to(config.data_path)
    yield [
        f"Done{stopped}: {done[0]} answers, against {evaluated}. Files in `{folder}` of the data "
        f"folder.{note}",
        summary_html(result["summary"]),
        plots_html(result["summary"]),
        [str(p) for p in paths.values()],
    ]


def _failure(exc: Exception) -> str:
    """A failed run in words a visitor may read; anything but a known error is a bug, whose
    message (paths and all) stays in the server log."""
    if isinstance(exc, (ValueError, OSError, PipelineError)):
        return _message(exc)
    return f"an unexpected error ({type(exc).__name__}); the server log has the details."
