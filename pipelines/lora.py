"""LoRA column: the same model with the fine-tuned adapter from adapters/ active."""

from __future__ import annotations

from pathlib import Path

from pipelines.core import Source
from pipelines.from_weights import FromWeightsPipeline
from pipelines.generation import WEIGHTS_ONLY


class LoraPipeline(FromWeightsPipeline):
    name = "lora"
    title = "LoRA fine-tuned"
    use_adapter = True

    def weights_source(self) -> Source:
        adapter = Path(self.resources.config.adapter).name
        return Source(document="", section="", text=f"{WEIGHTS_ONLY} Adapter: {adapter}.")
