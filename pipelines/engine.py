"""One loaded model serving every column: the base weights plus an optional LoRA adapter.

The adapter is chosen per answer with PEFT's `adapter_names` (``"__base__"`` = no adapter), never
by switching global adapter state, so the base column can never run with the adapter active.
Answers that run at the same time are decoded together (see `pipelines.batching`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.batching import Batcher, Request
from pipelines.core import Message, PipelineError

log = logging.getLogger(__name__)

ADAPTER = "lora"
BASE = "__base__"


@dataclass(frozen=True)
class Chunk:
    """Generated text so far, with its token count and the time of the first token."""

    text: str
    tokens: int
    first_token_at: float | None


class Engine:
    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        adapter_error: str | None = None,
        max_batch: int = 8,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.adapter_error = adapter_error
        self.batcher = Batcher(model, _eos_ids(model, tokenizer), max_batch=max_batch)

    @property
    def context_window(self) -> int | None:
        return getattr(self.model.config, "max_position_embeddings", None)

    @property
    def has_adapter(self) -> bool:
        return self.adapter_error is None

    def prompt_ids(self, messages: Sequence[Message]) -> Any:
        """Token ids of the chat prompt, as the model will see it."""
        encoded = self.tokenizer.apply_chat_template(
            list(messages),
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        return encoded["input_ids"]

    def stream(
        self,
        input_ids: Any,
        *,
        use_adapter: bool,
        max_new_tokens: int,
        temperature: float,
        min_new_tokens: int = 0,
    ) -> Iterator[Chunk]:
        """Generate from `input_ids`, yielding the growing text. Answers that run at the same
        time share forward passes; closing the iterator cancels this one."""
        if use_adapter and not self.has_adapter:
            raise PipelineError(self.adapter_error or "no adapter loaded")
        adapter = (ADAPTER if use_adapter else BASE) if self.has_adapter else None
        request = self.batcher.submit(
            Request(
                ids=[int(i) for i in input_ids.reshape(-1)],
                adapter=adapter,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                min_new_tokens=min_new_tokens,
            )
        )
        ids: list[int] = []
        first_at: float | None = None
        try:
            while (item := request.out.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                ids.extend(item)
                first_at = first_at or time.perf_counter()
                text = self.tokenizer.decode(ids, skip_special_tokens=True)
                yield Chunk(text=text, tokens=len(ids), first_token_at=first_at)
        finally:
            request.cancelled.set()


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return {int(i) for i in ids if i is not None}


def load_engine(model: Any, tokenizer: Any, adapter_dir: str, max_batch: int = 8) -> Engine:
    """Wrap the model with the LoRA adapter when it loads; otherwise remember why it did not."""
    path = Path(adapter_dir)
    if not (path / "adapter_config.json").is_file():
        error = (
            f"No LoRA adapter at {path} (APP_ADAPTER). Train one with "
            "`python -m scripts.train_lora` or point APP_ADAPTER to an adapter folder."
        )
        log.warning(error)
        return Engine(model, tokenizer, adapter_error=error, max_batch=max_batch)
    try:
        from peft import LoraConfig
        from safetensors import safe_open

        LoraConfig.from_pretrained(str(path))
        with safe_open(str(path / "adapter_model.safetensors"), framework="pt") as weights:
            list(weights.keys())
    except Exception as exc:  # a broken adapter must not take the other columns down
        log.exception("the adapter at %s is broken", path)
        return Engine(
            model,
            tokenizer,
            adapter_error=f"The LoRA adapter at {path} is broken: {exc}",
            max_batch=max_batch,
        )
    from peft import PeftModel

    try:
        peft_model = PeftModel.from_pretrained(model, str(path), adapter_name=ADAPTER)
    except Exception as exc:  # e.g. an adapter trained for another model
        if any("lora_" in name for name, _ in model.named_parameters()):
            raise  # the base weights may have been touched: refuse to serve them
        log.exception("the adapter at %s does not fit the model", path)
        error = f"The LoRA adapter at {path} failed: {exc}"
        return Engine(model, tokenizer, adapter_error=error, max_batch=max_batch)
    peft_model.eval()
    return Engine(peft_model, tokenizer, max_batch=max_batch)
