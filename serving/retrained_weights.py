"""The Retrained column's weights: a whole model folder (safetensors) written by full-parameter
training, loaded lazily as a second model beside the base. They are never committed (540 MB in
fp32 for the default model), so until they exist the column says how to create them."""

from __future__ import annotations

import logging
from pathlib import Path

from common.commands import TRAIN_FULL
from common.config import Config
from common.errors import PipelineError
from common.files import safetensors_files
from serving.engine import ADAPTER_FIELDS
from serving.local_engine import LocalEngine

log = logging.getLogger(__name__)

NO_ADAPTER = "this model has no LoRA adapter: every one of its weights was trained"
NO_ADAPTERS = dict.fromkeys(ADAPTER_FIELDS, NO_ADAPTER)  # what it says for each adapter name


def missing_weights(folder: Path, shown: str | None = None) -> str | None:
    """Why `folder` holds no retrained weights to serve, with the command that creates them;
    None when they are there. `shown`: the folder as the message names it (default: its path)."""
    if (folder / "config.json").is_file() and safetensors_files(folder):
        return None
    return (
        f"No retrained weights at {shown or folder} yet. Create them with `{TRAIN_FULL}` (about 10 "
        "minutes on 2 CPU cores, 540 MB on disk)."
    )


def load_retrained_engine(config: Config) -> LocalEngine:
    """An engine on its own copy of the weights in APP_RETRAINED (never the base model's), by
    the engine that serves the other columns where it can (llama.cpp for a .gguf APP_MODEL)."""
    folder = config.retrained_path
    error = missing_weights(folder, config.shown_path(folder))
    if error:
        raise PipelineError(error)
    if config.resolved_engine == "llama.cpp":
        try:
            return _llama_engine(config, folder)
        except Exception:  # the column still works, more slowly
            log.exception("the retrained weights do not convert for llama.cpp; transformers serves")
    return _torch_engine(config, folder)


def _torch_engine(config: Config, folder: Path) -> LocalEngine:
    from transformers import AutoModelForCausalLM

    from serving.local_engine import torch_engine
    from serving.model import resolve_dtype, tokenizer_of

    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(folder),
            dtype=resolve_dtype(config.dtype),
            use_safetensors=True,  # never a pickle
            trust_remote_code=False,
        )
        tokenizer = tokenizer_of(str(folder))
    except Exception as exc:  # broken or foreign weights: only this column fails
        log.exception("the retrained weights at %s do not load", folder)
        shown = config.shown_path(folder)
        raise PipelineError(f"The retrained weights at {shown} do not load: {exc}") from exc
    model.eval()
    log.info("retrained weights loaded from %s", folder)
    return torch_engine(model, tokenizer, NO_ADAPTERS, config.max_batch, config.threads)


def _llama_engine(config: Config, folder: Path) -> LocalEngine:
    """llama.cpp on the base GGUF with the retrained weights written in (converted once, kept
    under the data folder), so this column decodes as fast as the others."""
    from common.files import replace_atomically
    from serving.cache import chosen_dtype, retrained_gguf
    from serving.gguf_weights import with_weights
    from serving.llama_engine import llama_engine
    from serving.llama_rows import LlamaRows
    from serving.model import tokenizer_of

    dtype = chosen_dtype(config.dtype)
    out = retrained_gguf(config, folder, safetensors_files(folder)[0], dtype)
    if not out.is_file():
        source = Path(config.model)
        replace_atomically(out, lambda partial: with_weights(source, folder, partial, dtype))
    tokenizer = tokenizer_of(str(folder))
    rows = LlamaRows(str(out), config.max_batch, threads=config.threads or None)
    return llama_engine(config, tokenizer, rows, out, NO_ADAPTERS)
