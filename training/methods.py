"""What a training run updates: a LoRA adapter beside frozen weights ("lora"), or every weight
of the model ("full", retraining). The data, loop, validation and card are the same for both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METHODS = ("lora", "full")
# Full retraining moves all 135M weights, so it takes a smaller step than the LoRA matrices.
# Chosen on the validation loss: 5e-5 reached 1.176 after 4 epochs, 2e-4 0.677 (epoch 3).
LEARNING_RATES = {"lora": 2e-3, "full": 2e-4}


@dataclass
class PreparedModel:
    """The model the optimiser updates, the causal LM the loss runs through, and how to save."""

    model: Any
    causal_lm: Any
    save: Callable[[Path], None]

    @property
    def trainable_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)


def prepare(
    method: str, model: Any, tokenizer: Any, options: dict[str, Any], base_name: str = ""
) -> PreparedModel:
    """Make `model` trainable by `method`. LoRA leaves its weights untouched (PEFT adds its own);
    full retraining updates `model` itself, so callers give it a copy of their own."""
    if method == "full":
        return _full(model, tokenizer, options.get("init_from", ""))
    if method == "lora":
        return _lora(model, options, base_name)
    raise ValueError(f"unknown training method {method!r}; known: {', '.join(METHODS)}")


def _lora(model: Any, options: dict[str, Any], base_name: str) -> PreparedModel:
    from peft import LoraConfig, PeftModel, get_peft_model

    if options.get("init_from"):  # an incremental update starts from the adapter's weights
        peft_model = PeftModel.from_pretrained(model, options["init_from"], is_trainable=True)
    else:
        lora = LoraConfig(
            r=options["rank"],
            lora_alpha=options["alpha"],
            lora_dropout=options["dropout"],
            target_modules=options["target_modules"].split(","),
            task_type="CAUSAL_LM",
        )
        peft_model = get_peft_model(model, lora)
    if base_name:  # not the local cache path the weights happened to be loaded from
        peft_model.peft_config["default"].base_model_name_or_path = base_name
    return PreparedModel(peft_model, peft_model.get_base_model(), peft_model.save_pretrained)


def _full(model: Any, tokenizer: Any, init_from: str) -> PreparedModel:
    import torch

    model.to(torch.float32)
    if init_from:  # an incremental update continues from the previous retrained weights
        _load_into(model, Path(init_from))
    for parameter in model.parameters():
        parameter.requires_grad_(True)

    def save(folder: Path) -> None:
        model.save_pretrained(folder)  # safetensors; fp32 so small updates are not rounded off
        tokenizer.save_pretrained(folder)

    return PreparedModel(model, model, save)


def _load_into(model: Any, folder: Path) -> None:
    """Copy the weights saved in `folder` (safetensors, possibly sharded) into `model`."""
    from common.files import read_safetensors

    state = read_safetensors(folder)
    if not state:
        raise ValueError(f"no .safetensors weights in {folder}")
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = {"lm_head.weight"} if getattr(model.config, "tie_word_embeddings", False) else set()
    if unexpected or set(missing) - tied:
        raise ValueError(
            f"the weights in {folder} do not fit this model "
            f"(missing {sorted(set(missing) - tied)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
