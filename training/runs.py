"""What trained weights (the LoRA adapter, the retrained model) were trained on (their run.json)
and how the documents moved on since."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.files import read_json_object
from documents.chunks import CorpusFile
from documents.store import text_hash

RUN_FILE = "run.json"  # beside the trained weights: what they were trained on, and the scores


def read_run(adapter_dir: str | Path) -> dict[str, Any]:
    """The adapter's run record (training time, data, scores); empty if there is none."""
    return read_json_object(Path(adapter_dir) / RUN_FILE)


def document_hashes(files: list[CorpusFile]) -> dict[str, str]:
    """Per-document content hashes, as the training run records them."""
    return {f.path: text_hash(f.text) for f in files}


@dataclass(frozen=True)
class Staleness:
    trained_at: str  # ISO time of training, "" if unknown
    corpus_hash: str
    added: tuple[str, ...]  # documents the adapter never saw
    changed: tuple[str, ...]  # edited since training
    removed: tuple[str, ...]
    known: bool  # False when the run did not record its documents

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


def staleness(run: dict[str, Any], files: list[CorpusFile]) -> Staleness:
    """Compare the documents the adapter was trained on with the current ones."""
    trained: dict[str, str] = run.get("documents") or {}
    now = document_hashes(files)
    return Staleness(
        trained_at=str(run.get("trained_at", "")),
        corpus_hash=str(run.get("corpus_hash", "")),
        added=tuple(sorted(set(now) - set(trained))) if trained else (),
        changed=tuple(sorted(p for p in now if p in trained and trained[p] != now[p])),
        removed=tuple(sorted(set(trained) - set(now))),
        known=bool(trained),
    )
