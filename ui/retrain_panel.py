"""In the Documents tab: retrain the LoRA adapter on the changed documents, in the background.

The run is a separate process (`scripts.refresh_lora`), so the app keeps answering meanwhile;
its progress comes from a small JSON file. When it ends the app switches to the new adapter.
With APP_TRAINING=off the panel shows the command instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from pipelines.config import REPO_ROOT, Config
from pipelines.documents import Documents
from pipelines.snapshot import describe, read_run, staleness
from training.progress import read_progress

COMMAND = "python -m scripts.refresh_lora"


class Trainable(Protocol):
    config: Config  # what is served now (the refreshed adapter, if any)
    configured: Config  # as configured (APP_ADAPTER)
    documents: Documents

    def use_adapter(self, folder: str) -> None: ...


def build_retrain_panel(library: Trainable) -> None:
    config = library.configured
    with gr.Accordion("Retrain the LoRA adapter on the changed documents", open=False):
        status = gr.Markdown(_state(library), elem_id="retrain-status")
        if config.training != "on":
            gr.Markdown(
                f"Training in the app is switched off (`APP_TRAINING=off`). Run `{COMMAND}` "
                "where the app's data folder is, then restart the app."
            )
            return
        start = gr.Button("Retrain in the background", elem_id="retrain")

    def running() -> Iterator[str]:
        progress_path = config.data_path / "training" / "progress.json"
        process = _launch(library, progress_path)
        while process.poll() is None:
            yield _progress_line(read_progress(progress_path))
            time.sleep(1.0)
        result = read_progress(progress_path)
        if result.get("error") or not result.get("adapter"):
            yield f"**Not retrained:** {result.get('error') or 'the run failed; see the log.'}"
            return
        yield "Loading the new adapter…"
        library.use_adapter(result["adapter"])
        yield _finished(library, result)

    start.click(running, None, status, concurrency_limit=1, concurrency_id="retrain")


def _launch(library: Trainable, progress_path: Path) -> subprocess.Popen:
    config = library.configured
    progress_path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "APP_MODEL": config.model,
        "APP_ADAPTER": config.adapter,
        "APP_CORPUS_DIR": config.corpus_dir,
        "APP_DATA_DIR": config.data_dir,
    }
    log = (config.data_path / "training").joinpath("refresh.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.refresh_lora"],
            cwd=REPO_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def _state(library: Trainable) -> str:
    files = library.documents.files()
    return describe(staleness(read_run(library.config.adapter), files), len(files))


def _progress_line(progress: dict[str, Any]) -> str:
    phase = progress.get("phase", "starting")
    elapsed = f" · {progress.get('elapsed_s', 0):.0f} s"
    if progress.get("total"):
        return f"Retraining: {phase}, step {progress['step']} of {progress['total']}{elapsed}"
    return f"Retraining: {phase}…{elapsed}"


def _finished(library: Trainable, result: dict[str, Any]) -> str:
    run = read_run(result["adapter"])
    changes = run.get("refresh", {}).get("updated", [])
    learnt = "; ".join(f"{c['id']}: {c['before']} → {c['after']}" for c in changes)
    scores = run.get("evaluation", {}).get("incremental", {})
    lines = [
        f"Retrained in {result.get('elapsed_s', 0):.0f} s; now serving "
        f"`{Path(result['adapter']).name}`.",
        f"Changed facts learnt: {learnt or 'none'}.",
    ]
    if scores:
        before, after = scores["before"], scores["after"]
        lines.append(
            f"Changed facts answered (held-out phrasing): {before['new']['contains']:.0%} → "
            f"{after['new']['contains']:.0%}; old test questions: "
            f"{before['old']['contains']:.0%} → {after['old']['contains']:.0%} (forgetting)."
        )
    lines.append(_state(library))
    return "  \n".join(lines)
