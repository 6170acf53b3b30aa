"""Which trained weights the app serves: the configured adapter and retrained weights, or the
refreshed copies an incremental update made from them (recorded in active.json), and the
clean-up of the copies a newer one replaced."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

from common.config import ADAPTERS_DIR, RETRAINED_DIR, Config
from common.files import read_json_object, replace_atomically
from serving.cache import RETRAINED_PREFIX, models_dir

log = logging.getLogger(__name__)

REFRESHED = "refresh-"  # the name of every refreshed copy begins so, then its time
ACTIVE = "active.json"  # the refreshed weights the app serves instead of the configured ones
# What a refresh can replace: config field -> (folder under APP_DATA_DIR, file every copy has).
REFRESHABLE = {
    "adapter": (ADAPTERS_DIR, "adapter_config.json"),
    "retrained": (RETRAINED_DIR, "config.json"),
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
    old = [p for p in folder.glob(f"{REFRESHED}*") if p.is_dir() and p != served]
    # Where llama.cpp's conversions of them are (serving/cache.py names them).
    converted, prefix = {
        "adapter": (folder, ""),
        "retrained": (models_dir(config), RETRAINED_PREFIX),
    }[field]
    conversions = [
        f
        for f in converted.glob(f"{prefix}{REFRESHED}*.gguf")
        if not f.name.startswith(f"{prefix}{served.name}-")
    ]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    for path in conversions:
        path.unlink(missing_ok=True)
    if old or conversions:
        log.info("deleted %d superseded refreshed copies", len(old) + len(conversions))
    return old + conversions
