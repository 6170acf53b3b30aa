"""The real app in a subprocess, started as a user starts it (`python app.py`): start it on a free
local port and wait until it answers HTTP, stop it, and time its start for the benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import nullcontext
from pathlib import Path

from benchmarks.machine import memory_mb
from common.config import REPO_ROOT

START_TIMEOUT_S = 300.0  # how long the app may take from start to answering HTTP
API = "/answer_all"  # the Chat tab's endpoint: one question to every shown column
QUESTION = "What is the default LAN IP address of the HX-40 on ETH2?"  # asked once after start


def free_port() -> int:
    """A local TCP port that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(
    env: dict[str, str], log_path: Path | None = None, timeout_s: float = START_TIMEOUT_S
) -> tuple[subprocess.Popen, str]:
    """Start `python app.py` on a free local port (its output to `log_path`, or discarded) and
    wait until it answers HTTP; the process and its URL. Raises if it exits or does not answer
    in time (and then stops it)."""
    port = free_port()
    environ = {**os.environ, **env, "APP_PORT": str(port), "APP_HOST": "127.0.0.1"}
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    # The child keeps its own copy of the log file's descriptor.
    with log_path.open("w") if log_path else nullcontext(subprocess.DEVNULL) as out:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO_ROOT, env=environ, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_it_answers(url, process, timeout_s, log_path)
    except Exception:
        stop_app(process)
        raise
    return process, url


def _wait_until_it_answers(
    url: str, process: subprocess.Popen, timeout_s: float, log_path: Path | None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            where = f"; see {log_path}" if log_path else ""
            raise RuntimeError(f"the app exited with code {process.returncode}{where}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # short: the benchmark's start time is read when this returns
    raise TimeoutError(f"the app did not answer on {url} within {timeout_s:.0f} s")


def stop_app(process: subprocess.Popen) -> None:
    """Ask the app to end; kill it if it has not within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure_app_start(env: dict[str, str]) -> dict[str, float]:
    """Seconds from start until the app answers HTTP, then seconds to answer one question
    through Gradio's API, and the process's peak resident memory (MB)."""
    started = time.perf_counter()
    process, url = start_app(env)
    try:
        ready_s = time.perf_counter() - started
        return {
            "ready_s": ready_s,
            "answered_s": _ask(url, QUESTION),
            "peak_rss_mb": memory_mb(process.pid, "VmHWM:"),
        }
    finally:
        stop_app(process)


def _ask(url: str, question: str) -> float:
    """Seconds for the Chat tab to finish answering one question, through Gradio's client."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    started = time.perf_counter()
    client.predict(question, api_name=API)
    return time.perf_counter() - started
