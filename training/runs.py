"""What trained weights (the LoRA adapter, the retrained model) were trained on (their run.json),
how the documents moved on since, and which refreshed copy the app serves."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from common.config import Config
from common.files import read_json_object, replace_atomically
from documents.chunks import CorpusFile
from documents.store import text_hash

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


ACTIVE = "active.json"  # the refreshed weights the app serves instead of the configured ones
# What a refresh can replace: config field -> (folder under APP_DATA_DIR, file every copy has).
REFRESHABLE = {
    "adapter": ("adapters", "adapter_config.json"),
    "retrained": ("retrained", "config.json"),
}


def configured_folder(config: Config, field: str) -> str:
    return str(config.retrained_path) if field == "retrained" else config.adapter


def active_config(config: Config) -> Config:
    """`config` with the adapter and retrained weights that refresh runs produced from it."""
    for field, (folder, marker) in REFRESHABLE.items():
        data = read_json_object(config.data_path / folder / ACTIVE)
        chosen = Path(str(data.get("folder", data.get("adapter", ""))))
        configured = data.get("configured", data.get("base_adapter"))
        if configured == configured_folder(config, field) and (chosen / marker).is_file():
            config = replace(config, **{field: str(chosen)})
    return config


def write_active(config: Config, chosen: Path, configured: Config, field: str = "adapter") -> None:
    """Serve `chosen` in place of the configured adapter (or retrained weights) from the next
    load on."""
    record = {"folder": str(chosen), "configured": configured_folder(configured, field)}
    replace_atomically(
        config.data_path / REFRESHABLE[field][0] / ACTIVE,
        lambda partial: partial.write_text(json.dumps(record)),
    )


def reset_active(config: Config, field: str = "adapter") -> None:
    """Serve the configured adapter (or retrained weights) again from the next load on."""
    (config.data_path / REFRESHABLE[field][0] / ACTIVE).unlink(missing_ok=True)


def prune_superseded(config: Config, field: str, served: Path) -> list[Path]:
    """Delete the refreshed copies (and their llama.cpp conversions) that `served` replaces:
    a full retraining keeps 540 MB + a 270 MB conversion per version. The configured weights
    and `served` stay. Returns what was deleted."""
    import shutil

    folder = config.data_path / REFRESHABLE[field][0]
    old = [p for p in folder.glob("refresh-*") if p.is_dir() and p != served]
    # Where llama.cpp's conversions of them are (llama_engine.py, retrained_weights.py).
    converted, prefix = {
        "adapter": (folder, ""),
        "retrained": (config.data_path / "models", "retrained-"),
    }[field]
    conversions = [
        f
        for f in converted.glob(f"{prefix}refresh-*.gguf")
        if not f.name.startswith(f"{prefix}{served.name}-")
    ]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    for path in conversions:
        path.unlink(missing_ok=True)
    if old or conversions:
        log.info("deleted %d superseded refreshed copies", len(old) + len(conversions))
    return old + conversions
