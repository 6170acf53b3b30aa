"""The engine for a model in this process: the base weights plus an optional LoRA adapter,
chosen per answer (per row among PEFT's LoRA modules in transformers, by a context of its own in
llama.cpp). Answers that run at the same time are decoded together (see `serving.batching`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from common.commands import TRAIN
from common.config import Config
from common.errors import PipelineError
from common.messages import Message
from serving.batching import Batcher, Request, Rows
from serving.engine import ADAPTER, BASE, Piece

log = logging.getLogger(__name__)


class LocalEngine:
    """Streams answers from one model; answers running at the same time share decode steps.

    `rows` is where the batch lives: `TorchRows` (transformers + PEFT) or `LlamaRows`
    (llama.cpp). `model` is the transformers model where there is one (evaluation uses it)."""

    def __init__(
        self,
        tokenizer: Any,
        rows: Rows,
        *,
        eos_ids: set[int],
        context_window: int | None,
        adapter_error: str | None = None,
        max_batch: int = Config.max_batch,
        model: Any = None,
        label: str = "",
    ) -> None:
        self.tokenizer = tokenizer
        self.rows = rows
        self.context_window = context_window
        self.adapter_error = adapter_error
        self.model = model
        self.label = label
        self.batcher = Batcher(rows, eos_ids, max_batch=max_batch)

    def close(self) -> None:
        """Stop serving once the answers already asked for are finished."""
        self.batcher.close()

    def forget_prompts(self) -> None:
        """Read the next prompts whole, as if new (benchmarks); only while none is in flight."""
        self.rows.forget()

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

    def prompt_tokens(self, input_ids: Any) -> int | None:
        """The prompt's length in tokens, known before generating."""
        return int(input_ids.shape[-1])

    def stream(
        self,
        input_ids: Any,
        *,
        use_adapter: bool,
        max_new_tokens: int,
        temperature: float,
        min_new_tokens: int = 0,
    ) -> Iterator[Piece]:
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
                yield Piece(
                    text=text,
                    tokens=len(ids),
                    first_token_at=first_at,
                    cached_tokens=request.cached_tokens,
                )
        finally:
            request.cancelled.set()


def eos_ids(model: Any, tokenizer: Any) -> set[int]:
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return {int(i) for i in ids if i is not None}


def torch_engine(
    model: Any,
    tokenizer: Any,
    adapter_error: str | None = None,
    max_batch: int = Config.max_batch,
    threads: int = 0,
) -> LocalEngine:
    """A LocalEngine on a transformers model (with the adapter injected unless `adapter_error`)."""
    from serving.torch_rows import TorchRows

    return LocalEngine(
        tokenizer,
        TorchRows(model, threads),
        eos_ids=eos_ids(model, tokenizer),
        context_window=getattr(model.config, "max_position_embeddings", None),
        adapter_error=adapter_error,
        max_batch=max_batch,
        model=model,
        label=f"transformers, {str(model.dtype).removeprefix('torch.')}",
    )


def check_adapter(path: Path) -> str | None:
    """Why the adapter folder cannot be used (a message naming APP_ADAPTER and only the folder's
    name: visitors read it; the log has the path), or None."""
    if not (path / "adapter_config.json").is_file():
        log.warning("no LoRA adapter at %s", path)
        return (
            f"No LoRA adapter in {path.name} (APP_ADAPTER). Train one with "
            f"`{TRAIN}` or point APP_ADAPTER to an adapter folder."
        )
    if not (path / "adapter_model.safetensors").is_file():
        # PEFT would fall back to adapter_model.bin, a pickle: loading one can run any code.
        pickle = (path / "adapter_model.bin").is_file()
        log.warning("the LoRA adapter at %s has no adapter_model.safetensors", path)
        return (
            f"The LoRA adapter {path.name} (APP_ADAPTER) has no adapter_model.safetensors"
            + (" (only adapter_model.bin, a pickle, which this app never loads)" if pickle else "")
            + ". Save it with save_pretrained(..., safe_serialization=True) or retrain it."
        )
    try:
        from peft import LoraConfig
        from safetensors import safe_open

        LoraConfig.from_pretrained(str(path))
        with safe_open(str(path / "adapter_model.safetensors"), framework="pt") as weights:
            list(weights.keys())
    except Exception as exc:  # a broken adapter must not take the other columns down
        log.exception("the adapter at %s is broken", path)
        return f"The LoRA adapter {path.name} is broken: {exc}"
    return None


def load_engine(
    model: Any,
    tokenizer: Any,
    adapter_dir: str,
    max_batch: int = Config.max_batch,
    threads: int = 0,
) -> LocalEngine:
    """Wrap the model with the LoRA adapter when it loads; otherwise remember why it did not."""
    path = Path(adapter_dir)
    error = check_adapter(path)
    if error:
        return torch_engine(model, tokenizer, error, max_batch, threads)
    from peft import PeftModel

    try:
        peft_model = PeftModel.from_pretrained(model, str(path), adapter_name=ADAPTER)
    except Exception as exc:  # e.g. an adapter trained for another model
        if any("lora_" in name for name, _ in model.named_parameters()):
            raise  # the base weights may have been touched: refuse to serve them
        log.exception("the adapter at %s does not fit the model", path)
        error = f"The LoRA adapter {path.name} failed: {exc}"
        return torch_engine(model, tokenizer, error, max_batch, threads)
    peft_model.eval()
    return torch_engine(peft_model, tokenizer, None, max_batch, threads)
