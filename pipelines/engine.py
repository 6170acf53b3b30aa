"""One loaded model serving every column: the base weights plus an optional LoRA adapter.

The adapter is chosen per call with PEFT's `adapter_names` (``"__base__"`` = no adapter), never by
switching global adapter state, and one lock serialises calls, so the base column can never run
with the adapter active.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    def __init__(self, model: Any, tokenizer: Any, adapter_error: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.adapter_error = adapter_error
        self._lock = threading.Lock()

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
    ) -> Iterator[Chunk]:
        """Generate from `input_ids`, yielding the growing text. Holds the model until done."""
        if use_adapter and not self.has_adapter:
            raise PipelineError(self.adapter_error or "no adapter loaded")
        with self._lock:
            yield from self._stream_locked(input_ids, use_adapter, max_new_tokens, temperature)

    def _stream_locked(
        self, input_ids: Any, use_adapter: bool, max_new_tokens: int, temperature: float
    ) -> Iterator[Chunk]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        tokens: queue.Queue[list[int] | BaseException | None] = queue.Queue()
        cancelled = threading.Event()

        class _Cancel(StoppingCriteria):
            def __call__(self, *args: Any, **kwargs: Any) -> bool:
                return cancelled.is_set()

        kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": max_new_tokens,
            "do_sample": temperature > 0,
            "streamer": _QueueStreamer(tokens),
            "stopping_criteria": StoppingCriteriaList([_Cancel()]),
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if temperature > 0:
            kwargs["temperature"] = temperature
        if self.has_adapter:
            kwargs["adapter_names"] = [ADAPTER if use_adapter else BASE]

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**kwargs)
            except BaseException as exc:  # handed to the consumer thread, which re-raises
                tokens.put(exc)

        worker = threading.Thread(target=run, name="generate", daemon=True)
        worker.start()
        ids: list[int] = []
        first_at: float | None = None
        try:
            while (item := tokens.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                ids.extend(item)
                first_at = first_at or time.perf_counter()
                text = self.tokenizer.decode(ids, skip_special_tokens=True)
                yield Chunk(text=text, tokens=len(ids), first_token_at=first_at)
        finally:
            cancelled.set()
            worker.join()


class _QueueStreamer:
    """A transformers streamer that forwards new token ids (batch of one) to a queue."""

    def __init__(self, sink: queue.Queue) -> None:
        self.sink = sink
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() first puts the prompt itself
            self.prompt_seen = True
            return
        self.sink.put(value.reshape(-1).tolist())

    def end(self) -> None:
        self.sink.put(None)


def load_engine(model: Any, tokenizer: Any, adapter_dir: str) -> Engine:
    """Wrap the model with the LoRA adapter when it loads; otherwise remember why it did not."""
    path = Path(adapter_dir)
    if not (path / "adapter_config.json").is_file():
        error = (
            f"No LoRA adapter at {path} (APP_ADAPTER). Train one with "
            "`python -m scripts.train_lora` or point APP_ADAPTER to an adapter folder."
        )
        log.warning(error)
        return Engine(model, tokenizer, adapter_error=error)
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
        )
    from peft import PeftModel

    try:
        peft_model = PeftModel.from_pretrained(model, str(path), adapter_name=ADAPTER)
    except Exception as exc:  # e.g. an adapter trained for another model
        if any("lora_" in name for name, _ in model.named_parameters()):
            raise  # the base weights may have been touched: refuse to serve them
        log.exception("the adapter at %s does not fit the model", path)
        return Engine(model, tokenizer, adapter_error=f"The LoRA adapter at {path} failed: {exc}")
    peft_model.eval()
    return Engine(peft_model, tokenizer)
