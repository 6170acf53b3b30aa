"""The engine for a model in this process: the base weights plus named LoRA adapters (the recall
adapter, the reader), one chosen per answer (per row among PEFT's LoRA modules in transformers,
by a context of its own in llama.cpp). Answers that run at the same time are decoded together
(see `serving.batching`). Each adapter loads or fails on its own: a missing reader leaves the
recall adapter and the base weights serving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from common.config import Config
from common.errors import PipelineError
from common.messages import Message
from serving.batching import Batcher, Request, Rows
from serving.engine import ADAPTER, ADAPTER_COMMANDS, Piece, adapter_setting

log = logging.getLogger(__name__)


class LocalEngine:
    """Streams answers from one model; answers running at the same time share decode steps.

    `rows` is where the batch lives: `TorchRows` (transformers + PEFT) or `LlamaRows`
    (llama.cpp). `adapters`: each adapter name the rows were asked to hold, with why it did not
    load (None where it did). `model` is the transformers model where there is one (evaluation
    uses it)."""

    def __init__(
        self,
        tokenizer: Any,
        rows: Rows,
        *,
        eos_ids: set[int],
        context_window: int | None,
        adapters: Mapping[str, str | None] | None = None,
        max_batch: int = Config.max_batch,
        model: Any = None,
        label: str = "",
    ) -> None:
        self.tokenizer = tokenizer
        self.rows = rows
        self.context_window = context_window
        self.adapters = dict(adapters or {})
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
    def loaded(self) -> list[str]:
        """The names of the adapters this engine serves."""
        return [name for name, error in self.adapters.items() if error is None]

    def adapter_error(self, adapter: str) -> str | None:
        """Why the named adapter cannot answer here, or None when it is loaded."""
        if adapter not in self.adapters:
            return f"This model holds no adapter {adapter!r}."
        return self.adapters[adapter]

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
        adapter: str | None,
        max_new_tokens: int,
        temperature: float,
        min_new_tokens: int = 0,
    ) -> Iterator[Piece]:
        """Generate from `input_ids` with the named adapter (None: the base weights), yielding
        the growing text. Answers that run at the same time share forward passes; closing the
        iterator cancels this one."""
        if adapter is not None and (error := self.adapter_error(adapter)):
            raise PipelineError(error)
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
    adapters: Mapping[str, str | None] | None = None,
    max_batch: int = Config.max_batch,
    threads: int = 0,
) -> LocalEngine:
    """A LocalEngine on a transformers model; `adapters`: each name with why it is not loaded
    into the model (None where PEFT loaded it under that name)."""
    from serving.torch_rows import TorchRows

    return LocalEngine(
        tokenizer,
        TorchRows(model, threads),
        eos_ids=eos_ids(model, tokenizer),
        context_window=getattr(model.config, "max_position_embeddings", None),
        adapters=adapters,
        max_batch=max_batch,
        model=model,
        label=f"transformers, {str(model.dtype).removeprefix('torch.')}",
    )


def check_adapter(path: Path, adapter: str = ADAPTER) -> str | None:
    """Why the folder of the named adapter cannot be used (a message naming its setting, e.g.
    APP_ADAPTER, the command that trains it and only the folder's name: visitors read it; the
    log has the path), or None."""
    setting = adapter_setting(adapter)
    if not (path / "adapter_config.json").is_file():
        log.warning("no LoRA adapter at %s (%s)", path, setting)
        return (
            f"No LoRA adapter in {path.name} ({setting}). Train one with "
            f"`{ADAPTER_COMMANDS[adapter]}` or point {setting} to an adapter folder."
        )
    if not (path / "adapter_model.safetensors").is_file():
        # PEFT would fall back to adapter_model.bin, a pickle: loading one can run any code.
        pickle = (path / "adapter_model.bin").is_file()
        log.warning("the LoRA adapter at %s has no adapter_model.safetensors", path)
        return (
            f"The LoRA adapter {path.name} ({setting}) has no adapter_model.safetensors"
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
        return f"The LoRA adapter {path.name} ({setting}) is broken: {exc}"
    return None


def load_engine(
    model: Any,
    tokenizer: Any,
    folders: Mapping[str, str],
    max_batch: int = Config.max_batch,
    threads: int = 0,
) -> LocalEngine:
    """Wrap the model with each adapter of `folders` (name -> folder) that loads; remember why
    the others did not."""
    errors: dict[str, str | None] = {}
    for name, folder in folders.items():
        path = Path(folder)
        errors[name] = check_adapter(path, name)
        if errors[name] is None:
            model, errors[name] = _with_adapter(model, path, name)
    if hasattr(model, "peft_config"):
        model.eval()
    return torch_engine(model, tokenizer, errors, max_batch, threads)


def _with_adapter(model: Any, path: Path, name: str) -> tuple[Any, str | None]:
    """`model` with the adapter in `path` loaded under `name` (a PeftModel), or `model` as it
    was and why the adapter failed (e.g. trained for another model)."""
    from peft import PeftModel

    try:
        if isinstance(model, PeftModel):
            model.load_adapter(str(path), adapter_name=name)
        else:
            model = PeftModel.from_pretrained(model, str(path), adapter_name=name)
        return model, None
    except Exception as exc:
        if not isinstance(model, PeftModel):
            if any("lora_" in n for n, _ in model.named_parameters()):
                raise  # the base weights may have been touched: refuse to serve them
        elif name in model.peft_config:
            model.delete_adapter(name)  # half loaded: take it out; the others stay
        log.exception("the adapter at %s does not fit the model", path)
        return model, f"The LoRA adapter {path.name} ({adapter_setting(name)}) failed: {exc}"
