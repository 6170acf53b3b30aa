"""Where converted model files are kept, named once: a GGUF model dequantised for transformers,
a GGUF re-encoded in another precision, retrained weights written into the GGUF, and a LoRA
adapter converted for llama.cpp. Each name carries a fingerprint of its source, so an edited
source is converted again instead of served stale."""

from __future__ import annotations

import hashlib
from pathlib import Path

from common.config import Config

RETRAINED_PREFIX = "retrained-"  # retrained weights written into the base model's GGUF


def models_dir(config: Config) -> Path:
    """APP_DATA_DIR/models: the converted models."""
    return config.data_path / "models"


def fingerprint(path: Path) -> str:
    """Changes when the file is replaced or edited (path, size, modification time)."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def dequantised(config: Config, gguf: Path) -> Path:
    """The folder holding `gguf` dequantised to safetensors for transformers."""
    return models_dir(config) / f"{gguf.stem}-{fingerprint(gguf)}"


def reencoded(config: Config, gguf: Path, dtype: str) -> Path:
    """`gguf` re-encoded in `dtype` for llama.cpp."""
    return models_dir(config) / f"{gguf.stem}-{fingerprint(gguf)}.{dtype}.gguf"


def retrained_gguf(config: Config, folder: Path, weights: Path, dtype: str) -> Path:
    """The base GGUF with the retrained weights of `folder` (stamped by its `weights` file)."""
    stamp = fingerprint(weights)
    return models_dir(config) / f"{RETRAINED_PREFIX}{folder.name}-{stamp}.{dtype}.gguf"


def adapter_gguf(adapter: Path, model: Path, folder: Path) -> Path:
    """The LoRA adapter in `adapter` converted for `model`, in `folder`: named by a digest of
    the adapter's files and the model's path."""
    digest = hashlib.sha256()
    for part in (adapter / "adapter_model.safetensors", adapter / "adapter_config.json"):
        digest.update(part.read_bytes())
    digest.update(str(model.resolve()).encode())
    return folder / f"{adapter.name}-{digest.hexdigest()[:16]}.gguf"


def native_bf16() -> bool:
    """The CPU computes bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_bf16", "amx_bf16"))


def chosen_dtype(setting: str) -> str:
    """APP_DTYPE with "auto" resolved, the one rule: bfloat16 where the CPU computes it
    natively, else float32."""
    if setting != "auto":
        return setting
    return "bfloat16" if native_bf16() else "float32"
