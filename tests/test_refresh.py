"""The incremental update as `python -m scripts.refresh` runs it, where it ends before training:
nothing changed, or a reset. No model is loaded."""

from __future__ import annotations

from common.config import Config
from serving.weights import active_config, write_active
from training.progress import progress_path, read_progress
from training.refresh import RefreshArgs, run_command


def test_an_update_with_no_changed_fact_fails_and_says_so_in_the_progress_file(tmp_path):
    config = Config(data_dir=str(tmp_path))
    assert run_command(RefreshArgs(), config) == 1
    progress = read_progress(progress_path(config))
    assert progress["done"] and not progress["adapter"]
    assert progress["error"].startswith("No fact seed changed in a way training can follow")
    assert not (tmp_path / "adapters").exists()  # nothing trained, nothing served instead


def test_a_reset_serves_the_configured_weights_again(tmp_path):
    config = Config(data_dir=str(tmp_path))
    refreshed = tmp_path / "adapters" / "refresh-1"
    refreshed.mkdir(parents=True)
    (refreshed / "adapter_config.json").write_text("{}")
    write_active(config, refreshed, config, "adapter")
    assert active_config(config).adapter == str(refreshed)
    assert run_command(RefreshArgs(reset=1), config) == 0
    assert active_config(config).adapter == config.adapter
    assert not progress_path(config).exists()  # a reset is no training run
