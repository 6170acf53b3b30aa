"""RAG + LoRA column (optional): the retrieved passages, read by the reader adapter
(APP_READER_ADAPTER, fine-tuned to find the answer in passages and decline where they hold none)."""

from __future__ import annotations

from pipelines.rag import RagPipeline
from serving.engine import READER


class RagLoraPipeline(RagPipeline):
    name = "rag_lora"
    title = "RAG + reader fine-tune"
    optional = True
    adapter = READER
