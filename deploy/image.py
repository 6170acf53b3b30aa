"""Build and start the image's steps on this machine: a fresh venv with the build stage's `pip`
commands, the final stage's `python` build commands, its CMD until the HEALTHCHECK passes (and
fails again once the app is stopped), then a few test questions through every column. Each step
is timed."""

from __future__ import annotations

import logging
import re
import shlex
import subprocess
import tempfile
import time
import venv
from pathlib import Path

from benchmarks.apps import free_port
from common.config import QA_DIR, REPO_ROOT
from deploy.dockerfile import Stage, environment, stages

log = logging.getLogger(__name__)


def check_image(work_dir: str, torch_index_url: str | None, questions: int) -> dict[str, float]:
    """Run the Dockerfile's steps in `work_dir` (empty: a new temporary folder); `torch_index_url`
    replaces the --index-url of its pip commands ('' drops it, None keeps it). Returns each
    step's seconds; raises SystemExit when a step fails."""
    build, final = stages((REPO_ROOT / "Dockerfile").read_text())[-2:]
    work = Path(work_dir or tempfile.mkdtemp(prefix="check-dockerfile-"))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    venv.create(work / "venv", with_pip=True)
    timings["python -m venv"] = time.perf_counter() - started
    bin_dir = work / "venv" / "bin"
    for command in build.runs:
        if command.startswith("python -m venv"):
            continue  # the fresh venv above stands for the image's /opt/venv
        if torch_index_url is not None:
            url = f"--index-url {torch_index_url}" if torch_index_url else ""
            command = re.sub(r"--index-url \S+", url, command).strip()
        timed(command, timings, shlex.split(command), environment(build, bin_dir, {}))
    port = str(free_port())
    env = environment(final, bin_dir, {"APP_DATA_DIR": str(work / "data"), "APP_PORT": port})
    for command in final.runs:
        timed(command, timings, shlex.split(command), env)
    serve(final, env, 300, timings)
    if questions:
        ask = f"python -m scripts.evaluate --questions {QA_DIR}/test.jsonl --limit {questions}"
        timed(ask, timings, shlex.split(ask), env)
    log.info("venv and data left in %s", work)
    return timings


def timed(step: str, timings: dict[str, float], command: list[str], env: dict[str, str]) -> None:
    log.info("%s: %s", step, shlex.join(command))
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=True)
    timings[step] = time.perf_counter() - started
    log.info("%s: %.1f s", step, timings[step])


def healthy(command: list[str], env: dict[str, str], timeout_s: float) -> bool:
    try:
        done = subprocess.run(command, env=env, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def serve(final: Stage, env: dict[str, str], deadline_s: float, timings: dict[str, float]) -> None:
    """Start the CMD, time it until the HEALTHCHECK command passes, stop it, and require the
    health check to fail once nothing listens."""
    log.info("start: %s on port %s", shlex.join(final.cmd), env["APP_PORT"])
    started = time.perf_counter()
    app = subprocess.Popen(final.cmd, cwd=REPO_ROOT, env=env)
    try:
        while not healthy(final.healthcheck, env, 5):
            if app.poll() is not None:
                raise SystemExit(f"the app exited with code {app.returncode} while starting")
            if time.perf_counter() - started > deadline_s:
                raise SystemExit(f"the health check did not pass within {deadline_s:.0f} s")
            time.sleep(1)
        timings["start until healthy"] = time.perf_counter() - started
        log.info("healthy after %.1f s", timings["start until healthy"])
    finally:
        app.terminate()
        app.wait(timeout=30)
    if healthy(final.healthcheck, env, 5):
        raise SystemExit("the health check passed with the app stopped: it checks nothing")
