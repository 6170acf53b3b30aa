"""APP_ENGINE=llama.cpp: the .gguf model served by llama.cpp, re-encoded once in bf16 where the
CPU computes it natively (else in float32), each LoRA adapter (the recall adapter, the reader)
converted once to a GGUF LoRA file under the data folder (serving/cache.py names both)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.config import ADAPTERS_DIR, Config
from common.errors import PipelineError
from common.files import replace_atomically
from serving.cache import adapter_gguf, chosen_dtype, reencoded
from serving.engine import adapter_folders, adapter_setting
from serving.local_engine import LocalEngine, check_adapter

if TYPE_CHECKING:
    from serving.llama_rows import LlamaRows

log = logging.getLogger(__name__)


def load_llama_engine(config: Config) -> LocalEngine:
    model = Path(config.model)
    if model.suffix != ".gguf":
        raise PipelineError(
            f"APP_ENGINE=llama.cpp serves .gguf files, but APP_MODEL={config.model!r} is not "
            "one. Unset APP_MODEL for the bundled GGUF, or use APP_ENGINE=transformers."
        )
    try:
        import llama_cpp  # noqa: F401 - only to say clearly when it is missing
    except ImportError:
        raise PipelineError(
            "APP_ENGINE=llama.cpp needs llama-cpp-python: `pip install llama-cpp-python`."
        ) from None
    from serving.llama_rows import LlamaRows
    from serving.model import gguf_tokenizer

    tokenizer = gguf_tokenizer(config)
    weights = served_gguf(config, model)
    rows = LlamaRows(str(weights), config.max_batch, threads=config.threads or None)
    errors = {
        name: _added(rows, name, Path(folder), model, config.data_path / ADAPTERS_DIR)
        for name, folder in adapter_folders(config).items()
    }
    return llama_engine(config, tokenizer, rows, weights, errors)


def _added(rows: LlamaRows, name: str, adapter: Path, model: Path, folder: Path) -> str | None:
    """Serve the adapter in `adapter` as `name` on `rows` (converted for `model` into `folder`
    once); why it cannot be, or None. The other columns work without it."""
    error = check_adapter(adapter, name)
    if error is not None:
        return error
    try:
        rows.add_adapter(name, str(_converted(adapter, model, folder)))
    except Exception as exc:
        log.exception("the adapter at %s does not load in llama.cpp", adapter)
        setting = adapter_setting(name)
        return f"The LoRA adapter {adapter.name} ({setting}) failed in llama.cpp: {exc}"
    return None


def llama_engine(
    config: Config,
    tokenizer: Any,
    rows: LlamaRows,
    weights: Path,
    adapters: Mapping[str, str | None],
) -> LocalEngine:
    """A LocalEngine on llama.cpp rows of the GGUF file `weights`; `adapters`: each name with
    why the rows do not serve it (None where they do)."""
    return LocalEngine(
        tokenizer,
        rows,
        eos_ids=rows.eos_ids | {tokenizer.eos_token_id},
        context_window=rows.context_window,
        adapters=adapters,
        max_batch=config.max_batch,
        label=f"llama.cpp, {weights.name}",
    )


def served_gguf(config: Config, model: Path) -> Path:
    """The GGUF file to serve, re-encoded once and kept in APP_DTYPE's type: bf16 where the CPU
    computes it natively, else float32. Served as it is, the shipped Q4_1 file answered
    differently from the bf16 weights every figure was measured with (its kernels round the
    activations to 8 bits): the ETH2 address question went wrong; float32 answers as bf16."""
    from serving.gguf_weights import reencode

    dtype = chosen_dtype(config.dtype)
    out = reencoded(config, model, dtype)
    if not out.is_file():
        replace_atomically(out, lambda partial: reencode(model, partial, dtype))
    return out


def _converted(adapter: Path, model: Path, folder: Path) -> Path:
    """The adapter as a GGUF LoRA for this model, converted once and kept."""
    from serving.gguf_lora import convert

    out = adapter_gguf(adapter, model, folder)
    if not out.is_file():
        replace_atomically(out, lambda partial: convert(adapter, model, partial))
    return out
