"""In the Documents tab: retrain on the changed documents, in the background — the LoRA adapter,
or every weight of the Retrained column (trained in full the first time, updated after).

Each run is a separate process (`scripts.refresh`, `scripts.train_lora --method full`), so
the app keeps answering meanwhile; its progress comes from a small JSON file. When it ends the
app switches to the new weights. With APP_TRAINING=off the panel shows the commands instead.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from common.commands import REFRESH, REFRESH_FULL, TRAIN_FULL
from common.config import REPO_ROOT, Config
from documents.store import Documents
from serving.retrained_weights import missing_weights
from training.progress import progress_path as training_progress_path
from training.progress import read_progress, training_dir
from training.runs import read_run, staleness
from ui.jobs import Job, new_session_id
from ui.notes import describe
from ui.retrain_plan import (
    expected_duration,
    facts,
    first_training_note,
    learnable,
    learning_plan,
    progress_seconds,
    record_duration,
)

LORA_BUTTON = "Retrain the LoRA adapter in the background"
BUTTON = "Retrain every weight (Retrained column)"
CAUGHT_UP = "has nothing to catch up: no document changed since it was trained."
log = logging.getLogger(__name__)


class RetrainTarget(Protocol):
    config: Config  # what is served now (refreshed weights, if any)
    configured: Config  # as configured (APP_ADAPTER, APP_RETRAINED)
    documents: Documents

    def use_adapter(self, folder: str) -> None: ...

    def use_retrained(self, folder: str) -> None: ...


Refresh = tuple[Callable[[], list[Any]], list[Any]]  # a function and the components it fills


def build_retrain_panel(library: RetrainTarget) -> Refresh:
    """The panel; returns how to refresh it after the documents change: what retraining will
    learn, how long it takes, and the two status lines (left alone while a run is reporting its
    progress there)."""
    config = library.configured
    with gr.Accordion("Retrain on the changed documents", open=False):
        status = gr.Markdown(_state(library), elem_id="retrain-status")
        full_status = gr.Markdown(_full_state(library), elem_id="retrain-full-status")
        plan = gr.Markdown(plan_text(library), elem_id="retrain-plan")
        if not config.training_on:
            why = (
                "`APP_TRAINING=off`"
                if config.training == "off"
                else "the app listens beyond this machine without a login (`APP_AUTH`)"
            )
            gr.Markdown(
                f"Training in the app is switched off ({why}). Run `{REFRESH}` "
                f"(LoRA) or `{TRAIN_FULL}` / `{REFRESH_FULL}` (Retrained column) where the "
                "app's data folder is, then restart the app."
            )
            return _refresher(library, None, False), [status, full_status, plan]
        labels = button_labels(library)
        with gr.Row():
            start = gr.Button(labels[0], elem_id="retrain")
            start_full = gr.Button(labels[1], elem_id="retrain-full")

    job = Job("A training run")  # LoRA or full: they share the progress file and the CPUs

    def guarded(
        command: list[str], serve: Callable[[str], None], request: Any, kind: str
    ) -> Iterator[str]:
        if config.auth and not request.username:  # behind APP_AUTH only a logged-in user trains
            yield "**Not started:** log in to retrain."
            return
        if not job.start(new_session_id()):
            gr.Warning(job.busy())
            yield f"**Not started:** {job.busy()}"
            return
        try:
            yield from _run_in_background(library, command, serve)
            if seconds := progress_seconds(read_progress(training_progress_path(config))):
                record_duration(config, kind, seconds)  # what the buttons say next time
        finally:
            job.finish()

    def lora(request: gr.Request) -> Iterator[str]:
        yield from guarded(_module_args(REFRESH), library.use_adapter, request, "lora")

    def full(request: gr.Request) -> Iterator[str]:
        kind = _full_kind(library)
        command = _module_args(TRAIN_FULL if kind == "full-first" else REFRESH_FULL)
        yield from guarded(command, library.use_retrained, request, kind)

    refresh = _refresher(library, job, True)
    filled = [status, full_status, plan, start, start_full]
    # More than one may reach the handler, so that a second click hears "already running".
    start.click(lora, None, status, concurrency_limit=4, concurrency_id="retrain").then(
        refresh, None, filled
    )
    start_full.click(full, None, full_status, concurrency_limit=4, concurrency_id="retrain").then(
        refresh, None, filled
    )
    return refresh, filled


def _refresher(library: RetrainTarget, job: Job | None, buttons: bool) -> Callable[[], list[Any]]:
    def refresh() -> list[Any]:
        busy = job is not None and job.owner is not None  # a run reports its progress there
        lines = [gr.update(), gr.update()] if busy else [_state(library), _full_state(library)]
        labels = [gr.Button(value=label) for label in button_labels(library)] if buttons else []
        return [*lines, plan_text(library), *labels]

    return refresh


def button_labels(library: RetrainTarget) -> tuple[str, str]:
    """The two buttons, each saying how long its run took here (or that it is not measured)."""
    config = library.configured
    lora = expected_duration(config, "lora", read_run(library.config.adapter))[0]
    kind = _full_kind(library)
    full = expected_duration(config, kind, read_run(library.config.retrained_path))[0]
    return f"{LORA_BUTTON} ({lora})", f"{BUTTON} in the background ({full})"


def plan_text(library: RetrainTarget) -> str:
    """What retraining each column's weights will and will not learn, and how long it takes."""
    files, seeds = library.documents.files(), facts()
    lora_run = read_run(library.config.adapter)
    lora = learning_plan(lora_run, files, seeds) or CAUGHT_UP
    kind = _full_kind(library)
    full_run = read_run(library.config.retrained_path)
    if kind == "full-first":
        full = f"**The Retrained column** has no weights yet: {first_training_note()}"
    else:
        plan = learning_plan(full_run, files, seeds) or CAUGHT_UP
        full = f"**Retraining the Retrained column's weights** {plan}"
    timing = [
        expected_duration(library.configured, "lora", lora_run)[1],
        expected_duration(library.configured, kind, full_run)[1],
    ]
    # Blank lines between: a plan may end in a list, which would swallow the next line.
    return "\n\n".join([f"**Retraining the LoRA adapter** {lora}", full, *timing])


def _full_kind(library: RetrainTarget) -> str:
    """What the Retrained column's button runs: its first training, or an update."""
    return "full-first" if missing_weights(library.config.retrained_path) else "full"


def _module_args(command: str) -> list[str]:
    """`python -m scripts.x --flag v` as the arguments after `python -m`."""
    return command.removeprefix("python -m ").split()


def _run_in_background(
    library: RetrainTarget, command: list[str], serve: Callable[[str], None]
) -> Iterator[str]:
    """Run a training command as its own process, show its progress, then serve its output."""
    progress_path = training_progress_path(library.configured)
    process = _launch(library, progress_path, command)
    try:
        while process.poll() is None:
            yield _progress_line(read_progress(progress_path))
            time.sleep(1.0)
    finally:  # the page went away mid-run: end the run, so that "one at a time" holds
        if process.poll() is None:
            log.info("training stopped: nobody is waiting for it")
            process.terminate()
            process.wait()
    result = read_progress(progress_path)
    if result.get("error") or not result.get("adapter"):
        yield f"**Not retrained:** {result.get('error') or 'the run failed; see the log.'}"
        return
    yield "Loading the new weights…"
    serve(result["adapter"])
    yield _finished(library, result)


def _launch(library: RetrainTarget, progress_path: Path, command: list[str]) -> subprocess.Popen:
    config = library.configured
    progress_path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "APP_MODEL": config.model,
        "APP_ADAPTER": config.adapter,
        "APP_RETRAINED": str(config.retrained_path),
        "APP_CORPUS_DIR": config.corpus_dir,
        "APP_DATA_DIR": config.data_dir,
    }
    output = training_dir(config) / "refresh.log"
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", *command, "--progress", str(progress_path)],
            cwd=REPO_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def _state(library: RetrainTarget) -> str:
    return "LoRA adapter: " + _staleness_line(read_run(library.config.adapter), library)


def _full_state(library: RetrainTarget) -> str:
    folder = library.config.retrained_path
    if missing_weights(folder):
        return f"Retrained column: no weights yet (the button trains them: `{TRAIN_FULL}`)."
    return "Retrained column: " + _staleness_line(read_run(folder), library)


def _staleness_line(run: dict[str, Any], library: RetrainTarget) -> str:
    """What changed since training; "retrain to catch up" only where retraining can."""
    files = library.documents.files()
    stale = staleness(run, files)
    if stale.count and not learnable(run, files, facts()):
        return describe(stale, len(files), " — retraining cannot learn these changes (below).")
    return describe(stale, len(files))


def _progress_line(progress: dict[str, Any]) -> str:
    phase = progress.get("phase", "starting")
    elapsed = f" · {progress.get('elapsed_s', 0):.0f} s"
    if progress.get("total"):
        return f"Retraining: {phase}, step {progress['step']} of {progress['total']}{elapsed}"
    return f"Retraining: {phase}…{elapsed}"


def _finished(library: RetrainTarget, result: dict[str, Any]) -> str:
    run = read_run(result["adapter"])
    full = run.get("method") == "full"
    lines = [
        f"Trained in {result.get('elapsed_s', 0):.0f} s; now serving "
        f"`{Path(result['adapter']).name}`."
    ]
    evaluation = run.get("evaluation", {})
    if "refresh" in run:
        changes = run["refresh"].get("updated", [])
        learnt = "; ".join(f"{c['id']}: {c['before']} → {c['after']}" for c in changes)
        lines.append(f"Changed facts learnt: {learnt or 'none'}.")
    if scores := evaluation.get("incremental"):
        before, after = scores["before"], scores["after"]
        lines.append(
            f"Changed facts answered (held-out phrasing): {before['new']['contains']:.0%} → "
            f"{after['new']['contains']:.0%}; old test questions: "
            f"{before['old']['contains']:.0%} → {after['old']['contains']:.0%} (forgetting)."
        )
    elif "test" in evaluation:
        trained = evaluation["test"].get(run.get("method", "lora"), {})
        lines.append(
            f"Test questions answered: {trained.get('contains', 0):.0%}; forgetting on general "
            f"knowledge: {evaluation.get('forgetting_delta', 0):+.2f}."
        )
    lines.append(_full_state(library) if full else _state(library))
    return "  \n".join(lines)
