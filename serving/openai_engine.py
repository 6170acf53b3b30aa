"""APP_BACKEND=openai: the columns generate on an OpenAI-compatible server (vLLM, llama.cpp's
server, ...) through its chat completions API. The base model and the LoRA adapter are served
under model names of their own (APP_OPENAI_MODEL, APP_OPENAI_LORA_MODEL). A server has no
adapters of ours by name: every adapter column (the recall adapter's, the reader's) is answered
by APP_OPENAI_LORA_MODEL.

The server applies the chat template, checks the context window and counts the tokens: the
counts shown are its `usage`. Errors become `PipelineError`s that name the setting to fix and
never hold the API key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from common.config import Config
from common.errors import PipelineError
from common.messages import Message
from serving.engine import Piece

log = logging.getLogger(__name__)

TIMEOUT_S = 60.0  # to connect, and between two streamed pieces: a long prefill still fits
BASE_URL = "APP_OPENAI_BASE_URL"


class OpenAIEngine:
    """An `Engine` on a model server: streams answers from an OpenAI-compatible API."""

    context_window = None  # the server checks the prompt's length itself (HTTP 400)

    def __init__(self, config: Config, http_client: Any = None) -> None:
        """Connect and check the model names; `http_client` (an httpx2.Client) is for tests."""
        import openai

        self.base_url = config.openai_base_url
        self._key = config.openai_api_key
        # Servers started without a key accept any; the client insists on one.
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=self._key or "no-key",
            timeout=TIMEOUT_S,
            max_retries=1,
            http_client=http_client,
        )
        with self._errors(BASE_URL, ""):
            served = [model.id for model in self.client.models.list()]
        if not served:
            raise PipelineError(f"The model server at {self.base_url} serves no model.")
        self.model = config.openai_model or served[0]
        # Check the names now: llama-cpp-python's server serves its first model for any unknown one.
        if self.model not in served:
            raise PipelineError(_unknown(self.model, "APP_OPENAI_MODEL", self.base_url, served))
        self.lora_model = config.openai_lora_model
        self.lora_error = _lora_error(self.lora_model, self.base_url, served)
        if self.lora_error:
            log.warning(self.lora_error)
        self.label = f"server {self.base_url}, {self.model}"
        log.info("model server %s: %s, LoRA %s", self.base_url, self.model, self.lora_model or "-")

    def adapter_error(self, adapter: str) -> str | None:
        """Why the adapter columns cannot answer (no APP_OPENAI_LORA_MODEL served), or None:
        every adapter name is served by that one model."""
        return self.lora_error

    def close(self) -> None:
        """Nothing to stop here: the server generates, and answers still streaming from it
        finish on their own connections."""

    def prompt_ids(self, messages: Sequence[Message]) -> list[Message]:
        """The prompt as the server gets it: the chat messages (it applies the template)."""
        return list(messages)

    def prompt_tokens(self, prompt: list[Message]) -> int | None:
        """Unknown before the call: the server's count comes with its reply."""
        return None

    def stream(
        self,
        messages: list[Message],
        *,
        adapter: str | None,
        max_new_tokens: int,
        temperature: float,
        min_new_tokens: int = 0,
    ) -> Iterator[Piece]:
        """Stream the reply (APP_OPENAI_LORA_MODEL's for any adapter, else APP_OPENAI_MODEL's),
        then one last Piece with the server's token counts. Closing the iterator closes the
        connection, which makes the server stop generating."""
        if adapter is not None and self.lora_error:
            raise PipelineError(self.lora_error)
        model = self.model if adapter is None else self.lora_model
        setting = "APP_OPENAI_MODEL" if adapter is None else "APP_OPENAI_LORA_MODEL"
        # max_tokens, not max_completion_tokens: the one every compatible server reads.
        request: dict[str, Any] = dict(
            model=model, messages=messages, max_tokens=max_new_tokens, temperature=temperature
        )
        extra = {"min_tokens": min_new_tokens} if min_new_tokens else None  # vLLM, llama.cpp
        text, pieces, first_at, usage = "", 0, None, None
        with self._errors(setting, model):
            stream = self.client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}, extra_body=extra
            )
            try:
                for event in stream:
                    usage = event.usage or usage
                    piece = event.choices[0].delta.content if event.choices else None
                    if piece:
                        first_at = first_at or time.perf_counter()
                        text, pieces = text + piece, pieces + 1
                        yield Piece(text=text, tokens=pieces, first_token_at=first_at)
            finally:
                stream.close()
            if usage is not None:
                prompt, completion = usage.prompt_tokens, usage.completion_tokens
            else:
                prompt, completion = self._count_without_usage(request), pieces
        yield Piece(text=text, tokens=completion, first_token_at=first_at, prompt_tokens=prompt)

    def _count_without_usage(self, request: dict[str, Any]) -> int | None:
        """The prompt's tokens when the stream carried no usage (llama-cpp-python's server 0.3
        ignores stream_options): the completion is counted as the streamed pieces (one token
        each on llama.cpp and vLLM), the prompt by a one-token request without streaming,
        whose prompt the server has just cached."""
        reply = self.client.chat.completions.create(**{**request, "max_tokens": 1})
        return reply.usage.prompt_tokens if reply.usage else None

    @contextmanager
    def _errors(self, setting: str, model: str) -> Iterator[None]:
        """Turn the client's errors into PipelineErrors naming the setting to fix."""
        import openai

        try:
            yield
        except openai.APIError as exc:
            message = _explain(exc, self.base_url, setting, model)
            if self._key:
                message = message.replace(self._key, "***")
            log.warning("model server error: %s", message)
            raise PipelineError(message) from None  # the cause holds the request and its key


def _unknown(name: str, setting: str, base_url: str, served: list[str]) -> str:
    return (
        f"The model server at {base_url} serves no model {name!r} ({setting}); it serves: "
        f"{', '.join(served)}. Set {setting} to one of these."
    )


def _lora_error(name: str, base_url: str, served: list[str]) -> str | None:
    """Why the LoRA columns cannot answer through the server, or None."""
    if not name:
        return (
            "No LoRA model is set for the model server: serve the adapter under a name of its "
            "own (vLLM: --enable-lora --lora-modules NAME=PATH) and set "
            "APP_OPENAI_LORA_MODEL=NAME."
        )
    if name not in served:
        return _unknown(name, "APP_OPENAI_LORA_MODEL", base_url, served)
    return None


def _explain(exc: Exception, base_url: str, setting: str, model: str) -> str:
    """What went wrong, in words, with the setting that fixes it."""
    import openai

    server = f"The model server at {base_url} ({BASE_URL})"
    if isinstance(exc, openai.APITimeoutError):
        return f"{server} did not answer within {TIMEOUT_S:g} s."
    if isinstance(exc, openai.APIConnectionError):
        reason = exc.__cause__ or exc
        return f"{server} cannot be reached ({reason}). Start it, or set {BASE_URL}."
    if not isinstance(exc, openai.APIStatusError):
        return f"{server} failed: {exc}"
    said = f"HTTP {exc.status_code}: {_server_message(exc)}"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"{server} refused the API key ({said}). Set APP_OPENAI_API_KEY to its key."
    if isinstance(exc, openai.NotFoundError):
        if not model:
            return f"{server} has no /models ({said}): its API root usually ends in /v1."
        return (
            f"{server} has no model {model!r} ({said}). Set {setting} to a model it serves, "
            f"and {BASE_URL} to its API root (usually ending in /v1)."
        )
    if isinstance(exc, openai.BadRequestError):
        return (
            f"{server} refused the request ({said}). A prompt too long for the served model's "
            "context window is refused this way: lower APP_TOP_K or APP_MAX_NEW_TOKENS, or "
            "serve the model with a longer context."
        )
    return f"{server} failed ({said})."


def _server_message(exc: Any) -> str:
    """The server's own words from an error reply, kept short."""
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        body = message or body.get("detail") or body
    return str(body)[:300] if body else "no details"
