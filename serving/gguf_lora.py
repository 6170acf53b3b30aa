"""Write a PEFT LoRA adapter as a GGUF LoRA file that llama.cpp applies to a GGUF model.

The tensor names follow llama.cpp's (``blk.N.attn_q.weight.lora_a``). llama.cpp stores the
query and key projections of Llama-family models with their rows permuted for its rotary
embedding; the adapter's B matrices of those projections get the same permutation, exactly as
llama.cpp's own convert_lora_to_gguf.py does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def permute(weights, n_head: int):  # noqa: ANN001, ANN201 - numpy in, numpy out
    """llama.cpp's row order for rotary projections (convert_hf_to_gguf's `permute`)."""
    rows = weights.shape[0]
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def convert(adapter_dir: Path, model_gguf: Path, out: Path) -> Path:
    """Write `out` (a .gguf LoRA) from the PEFT adapter in `adapter_dir` for `model_gguf`."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    if config.get("use_rslora") or config.get("use_dora"):
        raise ValueError("only plain LoRA adapters convert to GGUF (no rsLoRA or DoRA)")
    reader = gguf.GGUFReader(str(model_gguf))
    arch = _field(reader, "general.architecture")
    heads = int(_field(reader, f"{arch}.attention.head_count"))
    kv_heads = int(_field(reader, f"{arch}.attention.head_count_kv"))

    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    count = 0
    for name in sorted(tensors):
        if not name.endswith("lora_A.weight"):
            continue
        prefix = name.removesuffix(".lora_A.weight")
        layer, module = _split(prefix)
        a = tensors[name].astype(np.float32)
        b = tensors[f"{prefix}.lora_B.weight"].astype(np.float32)
        if module == "self_attn.q_proj":
            b = permute(b, heads)
        elif module == "self_attn.k_proj":
            b = permute(b, kv_heads)
        base = f"blk.{layer}.{_NAMES[module]}.weight"
        writer.add_tensor(f"{base}.lora_a", np.ascontiguousarray(a))
        writer.add_tensor(f"{base}.lora_b", np.ascontiguousarray(b))
        count += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    log.info("wrote %s: %d LoRA pairs", out, count)
    return out


def _split(prefix: str) -> tuple[int, str]:
    """'base_model.model.model.layers.3.self_attn.q_proj' -> (3, 'self_attn.q_proj')."""
    head, _, rest = prefix.partition(".layers.")
    layer, _, module = rest.partition(".")
    if not head or module not in _NAMES:
        raise ValueError(f"cannot map adapter tensor {prefix!r} to a llama.cpp tensor")
    return int(layer), module


def _field(reader, key: str):  # noqa: ANN001, ANN202 - a gguf reader and its value
    return reader.fields[key].contents()
