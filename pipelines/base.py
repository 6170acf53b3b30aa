"""Base column: the plain instruct model, no retrieval, no adapter."""

from __future__ import annotations

from pipelines.from_weights import FromWeightsPipeline


class BasePipeline(FromWeightsPipeline):
    name = "base"
    title = "Base model"
