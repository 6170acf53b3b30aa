"""Re-encode a GGUF model's weights in another type (bf16, f32) for llama.cpp, or replace them
with retrained ones (the Retrained column served by llama.cpp).

The default model ships as Q4_1, which llama.cpp reads slowly on prompts (no repacked kernels
for it): 658 prompt tokens took 2.4 s on 2 cores, against 0.9 s for the same weights in bf16.
bf16 holds exactly the weights the transformers engine serves in bf16 (the Q4_1 values rounded
once), so both engines answer from the same numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TYPES = {"bfloat16": "BF16", "float32": "F32"}


def reencode(source: Path, out: Path, dtype: str) -> Path:
    """Write `out`: `source` with every matrix dequantised and stored as `dtype`."""
    from gguf.quants import dequantize

    def values(tensor, shape: list[int]):  # noqa: ANN001, ANN202 - gguf tensor in, numpy out
        return dequantize(tensor.data, tensor.tensor_type).reshape(shape)

    _rewrite(source, out, dtype, values)
    log.info("re-encoded %s as %s: %s", source.name, TYPES[dtype], out)
    return out


def with_weights(source: Path, folder: Path, out: Path, dtype: str) -> Path:
    """Write `out`: the GGUF model `source` (its settings and tokenizer) holding the weights of
    the transformers model in `folder` instead — the same architecture, retrained."""
    import gguf

    from common.files import read_safetensors
    from serving.gguf_lora import permute

    trained = read_safetensors(folder, framework="numpy")
    reader = gguf.GGUFReader(str(source))
    arch = str(reader.fields["general.architecture"].contents())
    kind = next(k for k, name in gguf.MODEL_ARCH_NAMES.items() if name == arch)
    blocks = int(reader.fields[f"{arch}.block_count"].contents())
    heads = {
        "attn_q": int(reader.fields[f"{arch}.attention.head_count"].contents()),
        "attn_k": int(reader.fields[f"{arch}.attention.head_count_kv"].contents()),
    }
    names = gguf.get_tensor_name_map(kind, blocks)
    by_gguf_name = {}
    for hf_name, array in trained.items():
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ValueError(f"cannot map {hf_name!r} to a llama.cpp tensor")
        part = name.split(".")[-2] if name.startswith("blk.") else ""
        # llama.cpp keeps the rotary projections' rows in its own order, as the GGUF has them.
        by_gguf_name[name] = permute(array, heads[part]) if part in heads else array

    def values(tensor, shape: list[int]):  # noqa: ANN001, ANN202 - gguf tensor in, numpy out
        if tensor.name not in by_gguf_name:
            raise ValueError(f"{folder} holds no weights for {tensor.name}")
        array = by_gguf_name[tensor.name]
        if list(array.shape) != shape:
            raise ValueError(f"{tensor.name}: {list(array.shape)} in {folder}, {shape} expected")
        return array

    _rewrite(source, out, dtype, values)
    log.info("wrote the weights of %s into %s (%s)", folder, out, TYPES[dtype])
    return out


def _rewrite(source: Path, out: Path, dtype: str, values: Callable[[Any, list[int]], Any]) -> None:
    """Copy `source`'s settings into `out` and write each tensor's `values(tensor, shape)` as
    `dtype` (norms and tensors the source holds in float32 stay float32, as llama.cpp expects)."""
    import gguf
    import numpy as np
    from gguf.quants import quantize

    target = getattr(gguf.GGMLQuantizationType, TYPES[dtype])
    reader = gguf.GGUFReader(str(source))
    writer = gguf.GGUFWriter(str(out), str(reader.fields["general.architecture"].contents()))
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        kind = field.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(name, field.contents(), kind, sub_type=field.types[1])
        else:
            writer.add_key_value(name, field.contents(), kind)
    for tensor in reader.tensors:
        shape = [int(n) for n in reversed(tensor.shape.tolist())]
        array = np.ascontiguousarray(values(tensor, shape), dtype=np.float32)
        kept = (tensor.tensor_type, target)
        if len(shape) == 1 or gguf.GGMLQuantizationType.F32 in kept:
            writer.add_tensor(tensor.name, array)
        else:
            data = quantize(array, target)
            writer.add_tensor(tensor.name, data, raw_shape=data.shape, raw_dtype=target)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
