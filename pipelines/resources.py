"""The heavy shared things (model with its adapters, embedder, index), loaded lazily and once."""

from __future__ import annotations

import logging
import threading
from typing import Any

from common.config import Config
from documents.index import Index, Progress, index_signature, open_index
from documents.store import Documents
from serving.engine import Engine, open_engine

log = logging.getLogger(__name__)


class Resources:
    def __init__(self, config: Config, progress: Progress | None = None) -> None:
        from serving.weights import active_config

        self.configured = config
        self.config = active_config(config)  # a refreshed adapter, if one was trained
        self.progress = progress
        self.documents = Documents(config)
        self._lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._engine: Engine | None = None
        self._retrained_lock = threading.Lock()  # loading it must not hold up the other columns
        self._retrained: Engine | None = None
        self._embeddings: Any = None
        self._index: Index | None = None

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = open_engine(self.config)
            return self._engine

    def use_adapter(self, folder: str) -> None:
        """Serve the LoRA column from another recall adapter (after a refresh), the reader as
        before: the new engine is loaded first, answers already running finish on the old one."""
        from dataclasses import replace

        config = replace(self.config, adapter=folder)
        engine = open_engine(config)
        with self._lock:
            old, self._engine, self.config = self._engine, engine, config
        if old is not None:
            old.close()
        log.info("now serving the adapter %s", folder)

    def retrained_engine(self) -> Engine:
        """The Retrained column's own model, loaded on first use. Raises PipelineError (saying
        how to create them) while there are no weights; the next call looks again."""
        with self._retrained_lock:
            if self._retrained is None:
                from serving.retrained_weights import load_retrained_engine

                self._retrained = load_retrained_engine(self.config)
            return self._retrained

    def use_retrained(self, folder: str) -> None:
        """Serve the Retrained column from `folder` (after training): loaded on its next use;
        answers already running finish on the old weights."""
        from dataclasses import replace

        with self._retrained_lock:
            old, self._retrained = self._retrained, None
            self.config = replace(self.config, retrained=folder)
        if old is not None:
            old.close()
        log.info("the Retrained column now serves %s", folder)

    def embeddings(self) -> Any:
        with self._lock:
            if self._embeddings is None:
                from documents.embeddings import LocalEmbeddings

                self._embeddings = LocalEmbeddings(self.config.embedder)
            return self._embeddings

    def index(self, progress: Progress | None = None) -> Index:
        """The index of the current documents: a document added or edited since the last call
        (in the app or on disk) is indexed now, so the next answer already uses it."""
        embeddings = self.embeddings()
        with self._index_lock:
            index = self._index
            if index is None or index.signature != index_signature(self.config, self.documents):
                index = open_index(
                    self.config, embeddings, progress or self.progress, self.documents
                )
                self._index = index
            return index

    def with_corpus(self, folder: str) -> Resources:
        """Resources over another document folder that share this model and embedder."""
        other = Resources(self.config.for_corpus(folder), self.progress)
        other._engine, other._embeddings = self.engine(), self.embeddings()
        return other

    def warm_up(self) -> None:
        """Load everything now, so the first question does not pay for it."""
        self.engine()
        index = self.index()
        log.info("ready: model, adapter and index of %d chunks loaded", index.size)
