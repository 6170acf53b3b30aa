"""What the LoRA adapter was trained on (its run.json), and how the documents moved on since."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipelines.config import Config
from pipelines.corpus import CorpusFile
from pipelines.documents import text_hash
from pipelines.files import read_json_object, replace_atomically

log = logging.getLogger(__name__)


def read_run(adapter_dir: str | Path) -> dict[str, Any]:
    """The adapter's run record (training time, data, scores); empty if there is none."""
    return read_json_object(Path(adapter_dir) / "run.json")


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


def describe(stale: Staleness, total: int) -> str:
    """One Markdown line for under the LoRA column."""
    if not stale.trained_at:
        return "*No training record (run.json) next to the adapter.*"
    head = f"Trained {stale.trained_at[:10]} on corpus snapshot `{stale.corpus_hash[:12]}`"
    if not stale.known:
        return f"{head}; the record does not list its documents."
    if not stale.count:
        return f"{head}; all {total} documents unchanged since."
    parts = [
        f"{len(stale.changed)} changed" if stale.changed else "",
        f"{len(stale.added)} added" if stale.added else "",
        f"{len(stale.removed)} removed" if stale.removed else "",
    ]
    return f"{head}; **since then {', '.join(p for p in parts if p)}** — retrain to catch up."


ACTIVE = "active.json"  # in APP_DATA_DIR/adapters: the refreshed adapter the app serves


def active_config(config: Config) -> Config:
    """`config` with the adapter a refresh run produced from it, if there is one."""
    data = read_json_object(config.data_path / "adapters" / ACTIVE)
    folder = Path(str(data.get("adapter", "")))
    if data.get("base_adapter") != config.adapter or not (folder / "adapter_config.json").is_file():
        return config
    return replace(config, adapter=str(folder))


def write_active(data_dir: Path, adapter: Path, base_adapter: str) -> None:
    """Make `adapter` the one served in place of `base_adapter` (from the next load)."""
    replace_atomically(
        data_dir / "adapters" / ACTIVE,
        lambda partial: partial.write_text(
            json.dumps({"adapter": str(adapter), "base_adapter": base_adapter})
        ),
    )
