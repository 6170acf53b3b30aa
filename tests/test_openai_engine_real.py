"""APP_BACKEND=openai against a real OpenAI-compatible server: llama-cpp-python's, serving the
bundled GGUF under one model name and, under another, the same GGUF with the adapter converted
to a GGUF LoRA (as vLLM serves a base model and its --lora-modules)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.apps import free_port
from common.config import REPO_ROOT, Config, default_model
from common.errors import PipelineError
from pipelines.base import BasePipeline
from pipelines.generation import chat
from pipelines.lora import LoraPipeline
from pipelines.rag import RagPipeline
from pipelines.resources import Resources
from training.qa import read_jsonl

pytestmark = pytest.mark.model

BASE, LORA = "smollm2", "smollm2-corpus-lora"
KEY = "test-key-5b7c0e"  # the server demands it, so every answer proves the key is sent
TRAINED = read_jsonl(REPO_ROOT / "data" / "qa" / "train.jsonl")[:4]
QUESTION = "What is the capital of France?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, adapter_dir: Path) -> Iterator[str]:
    """`python -m llama_cpp.server --config_file ...` with two models; yields its API root."""
    from serving.gguf_lora import convert
    from serving.gguf_weights import reencode

    folder = tmp_path_factory.mktemp("server")
    lora = convert(adapter_dir, Path(default_model()), folder / "lora.gguf")
    # The bf16 re-encoding the app itself serves: llama-cpp-python 0.3.36's chat completion
    # crashes (SIGSEGV) on the package's Q4_1 file, while plain completion of it works.
    model = str(reencode(Path(default_model()), folder / "model.bf16.gguf", "bfloat16"))
    common = {"model": model, "n_ctx": 2048, "n_threads": os.cpu_count(), "verbose": False}
    port = free_port()
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "api_key": KEY,
        "interrupt_requests": False,  # else a new request cuts the running answer short
        "models": [
            {**common, "model_alias": BASE},
            {**common, "model_alias": LORA, "lora_path": str(lora)},
        ],
    }
    (folder / "config.json").write_text(json.dumps(settings))
    log = (folder / "server.log").open("w")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--config_file", str(folder / "config.json")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_listening(process, port, folder / "server.log")
        print(f"llama_cpp.server ready in {time.perf_counter() - started:.1f} s")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"llama_cpp.server did not listen within 120 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def remote(server: str, real_config: Config) -> Config:
    return replace(
        real_config,
        backend="openai",
        openai_base_url=server,
        openai_model=BASE,
        openai_lora_model=LORA,
        openai_api_key=KEY,
    )


@pytest.fixture(scope="module")
def served(remote: Config) -> Resources:
    return Resources(remote)


def _direct(server: str, model: str, question: str, max_tokens: int):
    """The server's own reply without streaming, with its usage: the reference."""
    import openai

    client = openai.OpenAI(base_url=server, api_key=KEY)
    return client.chat.completions.create(
        model=model, messages=chat([], question), max_tokens=max_tokens, temperature=0
    )


def test_the_base_column_streams_through_the_server_with_its_token_counts(served, server):
    answers = list(BasePipeline(served).stream(QUESTION))
    final = answers[-1]
    partial = [a.text for a in answers[:-1] if a.text]
    assert final.done and len(partial) >= 3
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(partial))
    # llama-cpp-python's server sends usage only without streaming: the engine's counts (its
    # fallback for such servers) must equal the usage of the same request without streaming.
    reference = _direct(server, BASE, QUESTION, served.config.max_new_tokens)
    assert final.text == reference.choices[0].message.content.strip()
    assert (final.prompt_tokens, final.completion_tokens) == (
        reference.usage.prompt_tokens,
        reference.usage.completion_tokens,
    )
    assert 0 < final.first_token_s < final.total_s
    assert final.cost > 0


def test_the_lora_column_answers_under_the_lora_name_with_trained_facts(served, server):
    base = [BasePipeline(served).answer(item["question"]) for item in TRAINED]
    lora = [LoraPipeline(served).answer(item["question"]) for item in TRAINED]
    first = _direct(server, LORA, TRAINED[0]["question"], served.config.max_new_tokens)
    assert lora[0].text == first.choices[0].message.content.strip()
    assert lora[0].prompt_tokens == first.usage.prompt_tokens == base[0].prompt_tokens
    assert all(b.text != a.text for b, a in zip(base, lora, strict=True)), [a.text for a in lora]


def test_the_rag_column_retrieves_here_and_answers_through_the_server(served, tmp_path):
    (tmp_path / "relay.md").write_text(
        "# Zorblat-9 relay\n\n## Restarts\n\nThe Zorblat-9 relay restarts every 47 minutes.\n"
    )
    question = "How often does the Zorblat-9 relay restart?"
    answer = RagPipeline(served.with_corpus(str(tmp_path))).answer(question)
    assert answer.text and answer.retrieval_s is not None
    assert answer.sources[0].document == "relay.md" and answer.sources[0].rank == 1
    # The server counted the passage as well.
    assert answer.prompt_tokens > BasePipeline(served).answer(question).prompt_tokens + 20


def test_without_a_lora_model_only_the_lora_column_fails(remote):
    resources = Resources(replace(remote, openai_lora_model=""))
    assert BasePipeline(resources).answer(QUESTION).text
    with pytest.raises(PipelineError, match="set APP_OPENAI_LORA_MODEL"):
        LoraPipeline(resources).answer(QUESTION)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"openai_base_url": f"http://127.0.0.1:{free_port()}/v1"},
            r"\(APP_OPENAI_BASE_URL\) cannot be reached",
        ),
        ({"openai_model": "no-such-model"}, r"no model 'no-such-model' \(APP_OPENAI_MODEL\)"),
        ({"openai_lora_model": "no-such-lora"}, r"'no-such-lora' \(APP_OPENAI_LORA_MODEL\)"),
        ({"openai_api_key": "wrong-key-93ad"}, "refused the API key.*APP_OPENAI_API_KEY"),
    ],
)
def test_a_wrong_setting_is_named_and_the_key_never_shown(remote, change, message, caplog):
    pipeline = (LoraPipeline if "lora" in next(iter(change)) else BasePipeline)(
        Resources(replace(remote, **change))
    )
    with pytest.raises(PipelineError, match=message) as error:
        pipeline.answer(QUESTION)
    for key in (KEY, "wrong-key-93ad"):
        assert key not in str(error.value) and key not in caplog.text


def test_a_prompt_too_long_for_the_server_names_what_to_lower(served):
    with pytest.raises(PipelineError, match="APP_MAX_NEW_TOKENS") as error:
        BasePipeline(served).answer("tell me more " * 800)
    assert "context" in str(error.value)


def test_a_url_that_is_not_the_api_root_is_named(remote):
    root = remote.openai_base_url.removesuffix("/v1")
    with pytest.raises(PipelineError, match="APP_OPENAI_BASE_URL.*/v1"):
        BasePipeline(Resources(replace(remote, openai_base_url=root))).answer(QUESTION)
