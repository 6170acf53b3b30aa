"""LoRA column: the same model with the recall adapter (APP_ADAPTER, trained to answer the
corpus questions from its weights) active."""

from __future__ import annotations

from pathlib import Path

from pipelines.core import Source
from pipelines.from_weights import FromWeightsPipeline
from pipelines.generation import WEIGHTS_ONLY
from serving.engine import ADAPTER


class LoraPipeline(FromWeightsPipeline):
    name = "lora"
    title = "LoRA fine-tuned"
    adapter = ADAPTER

    def weights_source(self) -> Source:
        adapter = Path(self.resources.config.adapter).name
        return Source(document="", section="", text=f"{WEIGHTS_ONLY} Adapter: {adapter}.")
