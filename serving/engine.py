"""The engine protocol: what every way of generating tokens offers the columns — a model in this
process (serving.local_engine, on transformers or llama.cpp) or a model server
(serving.openai_engine). The columns only ever see an `Engine`.

The adapter is chosen per answer (`use_adapter`), never by switching global adapter state, so
the base column can never run with the adapter active.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from common.config import Config
from common.messages import Message

ADAPTER = "lora"  # the LoRA adapter's name where an engine holds one
BASE = "__base__"  # no adapter


@dataclass(frozen=True)
class Piece:
    """Generated text so far, with its token count and the time of the first token."""

    text: str
    tokens: int
    first_token_at: float | None
    prompt_tokens: int | None = None  # a model server's count of the prompt, with its reply
    cached_tokens: int = 0  # prompt tokens restored from the prompt cache instead of read


class Engine(Protocol):
    """Streams answers from one model, with or without its LoRA adapter."""

    label: str  # what serves, for logs and benchmarks ("llama.cpp, model.gguf")
    context_window: int | None  # None where the server checks the prompt's length itself
    adapter_error: str | None  # why there is no adapter; None when there is one

    @property
    def has_adapter(self) -> bool: ...

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
        use_adapter: bool,
        max_new_tokens: int,
        temperature: float,
        min_new_tokens: int = 0,
    ) -> Iterator[Piece]:
        """Generate, yielding the growing text; closing the iterator cancels the answer."""
        ...

    def close(self) -> None:
        """Stop serving once the answers already asked for are finished."""
        ...


def open_engine(config: Config) -> Engine:
    """The engine APP_BACKEND and APP_ENGINE ask for, with the adapter where it loads."""
    if config.backend == "openai":  # a model server generates; nothing is loaded here
        from serving.openai_engine import OpenAIEngine

        return OpenAIEngine(config)
    if config.resolved_engine == "llama.cpp":
        from serving.llama_engine import load_llama_engine

        return load_llama_engine(config)
    from serving.local_engine import load_engine
    from serving.model import load_model

    model, tokenizer = load_model(config)
    return load_engine(model, tokenizer, config.adapter, config.max_batch, config.threads)
