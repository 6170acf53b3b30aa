"""RAG + LoRA column (optional): the retrieved passages, answered by the fine-tuned adapter."""

from __future__ import annotations

from pipelines.rag import RagPipeline


class RagLoraPipeline(RagPipeline):
    name = "rag_lora"
    title = "RAG + LoRA"
    optional = True
    use_adapter = True
