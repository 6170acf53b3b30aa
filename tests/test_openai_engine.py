"""The OpenAI engine against scripted HTTP replies, for what the real server in
test_openai_engine_real.py does not do: stream `usage` (vLLM does) and answer 404 for a model
name."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from common.config import Config
from common.errors import PipelineError
from pipelines.core import last
from pipelines.generation import chat, generate_answer
from serving.engine import ADAPTER, READER
from serving.openai_engine import OpenAIEngine

URL = "http://models.test/v1"
MODELS = {"object": "list", "data": [{"id": "base-model"}, {"id": "corpus-lora"}]}


def _sse(*events: dict) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


CHUNK = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
USAGE = {
    **CHUNK,
    "choices": [],
    "usage": {"prompt_tokens": 31, "completion_tokens": 3, "total_tokens": 34},
}


def _piece(text: str) -> dict:
    return {**CHUNK, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def _engine(chat_reply: httpx2.Response, requests: list[dict], **settings) -> OpenAIEngine:
    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/models"):
            return httpx2.Response(200, json=MODELS)
        requests.append(json.loads(request.content))
        return chat_reply

    config = Config(backend="openai", openai_base_url=URL, **settings)
    return OpenAIEngine(config, http_client=httpx2.Client(transport=httpx2.MockTransport(handle)))


def _answer(engine: OpenAIEngine, adapter: str | None = None):
    config = Config(max_new_tokens=24, price_input_per_m=1.0, price_output_per_m=2.0)
    messages = chat([], "Where?")
    return last(
        generate_answer(engine, config, "x", messages, adapter=adapter, started=time.perf_counter())
    )


def test_streamed_usage_gives_the_token_counts_and_the_cost():
    body = _sse(_piece("Par"), _piece("is"), _piece("."), USAGE)
    requests: list[dict] = []
    engine = _engine(httpx2.Response(200, content=body), requests, openai_lora_model="corpus-lora")
    answer = _answer(engine)
    assert (answer.text, answer.prompt_tokens, answer.completion_tokens) == ("Paris.", 31, 3)
    assert answer.cost == pytest.approx((31 * 1.0 + 3 * 2.0) / 1e6)
    assert len(requests) == 1  # no second request to count the prompt
    sent = requests[0]
    assert (sent["model"], sent["stream"], sent["max_tokens"]) == ("base-model", True, 24)
    assert sent["stream_options"] == {"include_usage": True}
    _answer(engine, ADAPTER)
    assert requests[1]["model"] == "corpus-lora"
    _answer(engine, READER)  # the server has no reader of its own: the LoRA model answers
    assert requests[2]["model"] == "corpus-lora"


@pytest.mark.parametrize(
    ("adapter", "setting"), [(None, "APP_OPENAI_MODEL"), (ADAPTER, "APP_OPENAI_LORA_MODEL")]
)
def test_a_404_for_the_model_names_its_setting_and_the_servers_words(adapter, setting):
    error = {"object": "error", "message": "The model `base-model` does not exist.", "code": 404}
    reply = httpx2.Response(404, json=error)
    engine = _engine(reply, [], openai_lora_model="corpus-lora", openai_api_key="sk-9f2")
    with pytest.raises(PipelineError, match=setting) as raised:
        _answer(engine, adapter)
    assert "does not exist" in str(raised.value) and "sk-9f2" not in str(raised.value)
