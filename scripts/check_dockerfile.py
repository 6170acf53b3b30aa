"""Run what the Dockerfile runs, without Docker, and check that its health check passes.

    python -m scripts.check_dockerfile                      # about 17 minutes on 2 cores
    python -m scripts.check_dockerfile --torch-index-url "" # where download.pytorch.org is
                                                            # unreachable: torch from pip's index

Reads the Dockerfile and, in a fresh virtual environment under --work (default: a new temporary
folder), runs its `pip install` commands with the build stage's ENV (so llama-cpp-python builds
from source as in the image), then its `python` build commands with the image's ENV and a fresh
APP_DATA_DIR, then its CMD on a free port, and runs its HEALTHCHECK command until it passes. Then
the default model answers a few test questions through every column (scripts.evaluate), the app
is stopped and the health check must fail. Each step is timed. Not checked, for want of a Docker
engine: the base image, the apt packages, the users and file ownership.
Not run by CI (it takes minutes); run it after changing the Dockerfile or requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
import socket
import subprocess
import tempfile
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path

from common.config import REPO_ROOT
from common.logs import setup

log = logging.getLogger("check_dockerfile")


@dataclass
class Stage:
    env: dict[str, str] = field(default_factory=dict)  # ENV, in order
    runs: list[str] = field(default_factory=list)  # `pip ...` and `python ...` parts of RUN
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile: continuation lines joined, comments dropped."""
    found, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        name, _, rest = (current + line).partition(" ")
        found.append((name.upper(), rest.strip()))
        current = ""
    return found


def stages(text: str) -> list[Stage]:
    """Each FROM's environment, commands, CMD and HEALTHCHECK."""
    result: list[Stage] = []
    for name, rest in instructions(text):
        if name == "FROM":
            result.append(Stage())
        elif name == "ENV":
            result[-1].env.update(pair.split("=", 1) for pair in shlex.split(rest))
        elif name == "RUN":
            parts = (part.strip() for part in rest.split("&&"))
            result[-1].runs += [p for p in parts if re.match(r"(pip|python) ", p)]
        elif name == "CMD":
            result[-1].cmd = json.loads(rest)
        elif name == "HEALTHCHECK":
            result[-1].healthcheck = json.loads(rest.split(" CMD ", 1)[1])
    return result


def environment(stage: Stage, bin_dir: Path, overrides: dict[str, str]) -> dict[str, str]:
    """This machine's environment with the stage's ENV, the fresh venv first on PATH."""
    env = {**os.environ, **stage.env, **overrides}
    env["HOME"] = os.environ["HOME"]  # the image's /home/user is not on this machine
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"  # for the image's /opt/venv
    env.pop("VIRTUAL_ENV", None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="", help="folder for the venv and data (default: temp)")
    parser.add_argument(
        "--torch-index-url",
        default=None,
        help="replace the --index-url of the Dockerfile's pip commands ('' = drop it)",
    )
    parser.add_argument("--questions", type=int, default=3, help="test questions to answer")
    args = parser.parse_args(argv)
    build, final = stages((REPO_ROOT / "Dockerfile").read_text())[-2:]
    work = Path(args.work or tempfile.mkdtemp(prefix="check-dockerfile-"))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    venv.create(work / "venv", with_pip=True)
    timings["python -m venv"] = time.perf_counter() - started
    bin_dir = work / "venv" / "bin"
    for command in build.runs:
        if command.startswith("python -m venv"):
            continue  # the fresh venv above stands for the image's /opt/venv
        if args.torch_index_url is not None:
            url = f"--index-url {args.torch_index_url}" if args.torch_index_url else ""
            command = re.sub(r"--index-url \S+", url, command).strip()
        timed(command, timings, shlex.split(command), environment(build, bin_dir, {}))
    port = str(free_port())
    env = environment(final, bin_dir, {"APP_DATA_DIR": str(work / "data"), "APP_PORT": port})
    for command in final.runs:
        timed(command, timings, shlex.split(command), env)
    serve(final, env, 300, timings)
    if args.questions:
        ask = f"python -m scripts.evaluate --questions data/qa/test.jsonl --limit {args.questions}"
        timed(ask, timings, shlex.split(ask), env)
    print("\n| step | seconds |\n|---|---|")
    for step, seconds in timings.items():
        print(f"| `{step}` | {seconds:.1f} |")
    log.info("venv and data left in %s", work)


if __name__ == "__main__":
    main()
