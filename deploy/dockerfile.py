"""The Dockerfile read as the steps it runs: each stage's ENV, its `pip`/`python` commands, CMD and
HEALTHCHECK, and the environment to run them in on this machine."""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


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
