"""Faults a user can cause by configuration: a missing or broken adapter, an unreachable hub."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from common.config import REPO_ROOT
from common.errors import PipelineError
from pipelines.base import BasePipeline
from pipelines.lora import LoraPipeline
from pipelines.resources import Resources
from serving.model import load_model

pytestmark = pytest.mark.model


@pytest.mark.parametrize("engine", ["transformers", "llama.cpp"])
@pytest.mark.parametrize("problem", ["missing", "broken"])
def test_lora_column_explains_a_bad_adapter_and_base_still_answers(
    real_config, tmp_path, problem, engine
):
    adapter = tmp_path / "adapter"
    if problem == "broken":
        adapter.mkdir()
        (adapter / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 8}')
        (adapter / "adapter_model.safetensors").write_bytes(b"not a safetensors file")
    resources = Resources(replace(real_config, adapter=str(adapter), engine=engine))
    with pytest.raises(PipelineError, match=f" {adapter.name} ") as error:  # its name, no path
        LoraPipeline(resources).answer("What is 2 + 2?")
    assert ("No LoRA adapter" if problem == "missing" else "is broken") in str(error.value)
    assert "APP_ADAPTER" in str(error.value) or problem == "broken"
    answer = BasePipeline(resources).answer("What is 2 + 2?")
    assert answer.done and answer.text


def test_converted_model_is_cached_for_the_next_start(real_config):
    load_model(real_config)
    folder = real_config.data_path / "models"
    cached = [p for p in folder.glob("SmolLM2-135M-Instruct*") if (p / "config.json").is_file()]
    assert list(folder.glob("*.partial")) == []
    assert (cached[0] / "config.json").is_file()
    assert (cached[0] / "model.safetensors").is_file()
    assert "quantization_config" not in (cached[0] / "config.json").read_text()


def _start_app(**env: str) -> subprocess.CompletedProcess:
    """Start app.py with extra environment variables; it is expected to stop by itself."""
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("offline", ["1", "0"])
def test_unreachable_hub_names_the_variable(tmp_path, offline):
    # With HF_HUB_OFFLINE=0 the app really tries the hub: unreachable here, 404 where online.
    result = _start_app(
        HF_HUB_OFFLINE=offline, APP_MODEL="example-org/no-such-model", APP_DATA_DIR=str(tmp_path)
    )
    assert result.returncode == 2
    assert "APP_MODEL='example-org/no-such-model'" in result.stderr
    assert "hub" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_stops_the_app_with_a_clear_message():
    result = _start_app(APP_TOP_K="lots")
    assert result.returncode == 2
    assert "APP_TOP_K='lots' is not an integer" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("broken", ["base", "rag", "lora"])
def test_a_failure_inside_one_real_column_leaves_the_others_answering(
    resources, monkeypatch, broken
):
    """A fault injected into each real pipeline in turn: its column shows a short message, the
    other columns answer in full."""
    from pipelines.registry import build_pipelines, default_names
    from pipelines.runner import INTERNAL_ERROR, run_all

    pipelines = build_pipelines(resources, default_names())
    victim = next(p for p in pipelines if p.name == broken)

    def fail(*args, **kwargs):
        raise OSError("disk on fire")  # a bug, not a PipelineError: the user sees a short note

    target = "retrieve" if broken == "rag" else "stream"
    monkeypatch.setattr(victim, target, fail)
    final = {}
    for update in run_all(pipelines, "What is the capital of France?", [[], [], []]):
        final[pipelines[update.index].name] = update
    assert final[broken].error == INTERNAL_ERROR
    for name, update in final.items():
        if name != broken:
            assert update.error is None and update.answer.done and update.answer.text
