"""The engine protocol: what every way of generating tokens offers the columns — a model in this
process (serving.local_engine, on transformers or llama.cpp) or a model server
(serving.openai_engine). The columns only ever see an `Engine`.

An engine may hold named LoRA adapters (the LoRA column's recall adapter, the RAG + LoRA
column's reader). The adapter is chosen per answer (`adapter`, None for the base weights), never
by switching global adapter state, so the base column can never run with an adapter active.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from common.commands import TRAIN, TRAIN_READ
from common.config import Config
from common.messages import Message

ADAPTER = "lora"  # APP_ADAPTER's name in an engine: the recall adapter (the LoRA column's)
READER = "reader"  # APP_READER_ADAPTER's: the reader (the RAG + LoRA column's)
BASE = "__base__"  # PEFT's name for no adapter, in its own generate()
# Each adapter name's Config field (its folder; env APP_<FIELD>) and the command that trains it.
ADAPTER_FIELDS = {ADAPTER: "adapter", READER: "reader_adapter"}
ADAPTER_COMMANDS = {ADAPTER: TRAIN, READER: TRAIN_READ}


def adapter_setting(adapter: str) -> str:
    """The environment variable that names this adapter's folder (APP_ADAPTER, ...)."""
    return f"APP_{ADAPTER_FIELDS[adapter].upper()}"


def adapter_folders(config: Config) -> dict[str, str]:
    """The folder of every adapter the columns use, by name."""
    return {name: getattr(config, field) for name, field in ADAPTER_FIELDS.items()}


@dataclass(frozen=True)
class Piece:
    """Generated text so far, with its token count and the time of the first token."""

    text: str
    tokens: int
    first_token_at: float | None
    prompt_tokens: int | None = None  # a model server's count of the prompt, with its reply
    cached_tokens: int = 0  # prompt tokens restored from the prompt cache instead of read


class Engine(Protocol):
    """Streams answers from one model, with or without one of its named LoRA adapters."""

    label: str  # what serves, for logs and benchmarks ("llama.cpp, model.gguf")
    context_window: int | None  # None where the server checks the prompt's length itself

    def adapter_error(self, adapter: str) -> str | None:
        """Why the named adapter cannot answer here (the message its column shows), or None
        when it can."""
        ...

    def prompt_ids(self, messages: Sequence[Message]) -> Any:
        """The chat prompt as this engine takes it (token ids, or the messages for a server)."""
        ...

    def prompt_tokens(self, prompt: Any) -> int | None:
        """The prompt's length in tokens where it is known before generating."""
        ...

    def stream(
        self,
        prompt: Any,
        *,
        adapter: str | None,
        max_new_tokens: int,
        temperature: float,
        min_new_tokens: int = 0,
    ) -> Iterator[Piece]:
        """Generate with the named adapter (None: the base weights), yielding the growing text;
        closing the iterator cancels the answer. Raises PipelineError where the adapter cannot
        answer (`adapter_error`)."""
        ...

    def close(self) -> None:
        """Stop serving once the answers already asked for are finished."""
        ...


def open_engine(config: Config) -> Engine:
    """The engine APP_BACKEND and APP_ENGINE ask for, with each adapter that loads."""
    if config.backend == "openai":  # a model server generates; nothing is loaded here
        from serving.openai_engine import OpenAIEngine

        return OpenAIEngine(config)
    if config.resolved_engine == "llama.cpp":
        from serving.llama_engine import load_llama_engine

        return load_llama_engine(config)
    from serving.local_engine import load_engine
    from serving.model import load_model

    model, tokenizer = load_model(config)
    return load_engine(model, tokenizer, adapter_folders(config), config.max_batch, config.threads)
