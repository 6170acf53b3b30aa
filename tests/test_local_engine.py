"""An adapter is loaded from safetensors only, never from a pickle (which can run code)."""

from __future__ import annotations

import pickle
from pathlib import Path

from common.config import REPO_ROOT
from serving.local_engine import check_adapter


class _Payload:
    """Unpickling this writes a file: what a hostile adapter_model.bin could do instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def test_an_adapter_with_only_a_pickle_is_refused_with_a_clear_message(tmp_path):
    adapter, marker = tmp_path / "adapter", tmp_path / "ran"
    adapter.mkdir()
    shipped = REPO_ROOT / "adapters" / "smollm2-corpus-lora" / "adapter_config.json"
    (adapter / "adapter_config.json").write_text(shipped.read_text())
    (adapter / "adapter_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    error = check_adapter(adapter)
    assert error is not None and f"adapter {adapter.name} " in error and "APP_ADAPTER" in error
    assert str(adapter.parent) not in error  # visitors read it: the folder's name, not its path
    assert "no adapter_model.safetensors" in error and "adapter_model.bin, a pickle" in error
    assert not marker.exists()
    (adapter / "adapter_model.bin").unlink()  # nothing at all: the same, without the pickle
    assert "pickle" not in (check_adapter(adapter) or "pickle")
    assert check_adapter(shipped.parent) is None
