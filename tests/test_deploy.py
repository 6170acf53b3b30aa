"""The Space's configuration: README front matter, the Dockerfile's steps and its health check."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading

import yaml

from benchmarks.apps import free_port
from common.config import REPO_ROOT
from deploy.dockerfile import instructions, stages

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text()
COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}


def front_matter() -> dict:
    text = (REPO_ROOT / "README.md").read_text()
    assert text.startswith("---\n"), "a Space reads its settings from the README's first lines"
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_readme_front_matter_configures_a_docker_space_on_the_dockerfile_port():
    meta = front_matter()
    assert meta["sdk"] == "docker"
    assert {meta["colorFrom"], meta["colorTo"]} <= COLOURS
    assert 0 < len(meta["short_description"]) <= 60
    assert meta["title"] and meta["emoji"] and meta["license"] and meta["pinned"] is False
    final = stages(DOCKERFILE)[-1]
    exposed = [rest for name, rest in instructions(DOCKERFILE) if name == "EXPOSE"]
    assert str(meta["app_port"]) == final.env["APP_PORT"] == exposed[-1] == "7860"


def test_dockerfile_installs_cpu_torch_first_and_builds_the_cache_as_user_1000():
    build, final = stages(DOCKERFILE)
    assert build.runs[-2].startswith("pip install torch==") and "/whl/cpu" in build.runs[-2]
    assert build.runs[-1] == "pip install -r requirements.txt"
    assert "-DGGML_NATIVE=OFF" in build.env["CMAKE_ARGS"]  # the image runs on other CPUs
    assert final.runs == ["python -m scripts.build_index --model"]
    assert final.env["APP_HOST"] == "0.0.0.0"
    assert final.cmd == ["python", "app.py"]
    users = [rest for name, rest in instructions(DOCKERFILE) if name == "USER"]
    assert users == ["1000"]


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _health(port: int) -> int:
    command = stages(DOCKERFILE)[-1].healthcheck
    assert command[0] == "python"  # no curl in the slim image
    env = {**os.environ, "APP_PORT": str(port)}
    return subprocess.run([sys.executable, *command[1:]], env=env, timeout=30).returncode


def test_healthcheck_passes_while_the_port_answers_and_fails_when_it_does_not():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert _health(server.server_address[1]) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert _health(free_port()) != 0
