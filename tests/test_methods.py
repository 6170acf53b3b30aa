"""Training by method (LoRA or full retraining): arguments, output folders, the served copy, the
side-by-side table, and the Retrained column before its weights exist. No model is loaded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path

import pytest

from common.config import REPO_ROOT, Config
from common.errors import PipelineError
from pipelines.resources import Resources
from pipelines.retrained import RetrainedPipeline
from serving.weights import active_config, reset_active, write_active
from training.compare import MISSING, comparison_table
from training.refresh import RefreshArgs
from training.trainer import TrainArgs
from training.workflow import with_outputs


def test_the_method_picks_its_own_learning_rate_and_unknown_methods_are_refused():
    assert TrainArgs().learning_rate == 2e-3
    assert TrainArgs(method="full").learning_rate == 2e-4
    assert TrainArgs(method="full", learning_rate=1e-4).learning_rate == 1e-4
    with pytest.raises(ValueError, match="choose one of lora, full"):
        TrainArgs(method="qlora")
    with pytest.raises(ValueError, match="choose one of lora, full"):
        RefreshArgs(method="distil")


@pytest.mark.parametrize(
    ("command", "args", "opening"),
    [
        ("scripts.train_lora", TrainArgs, "and write the model card."),
        ("scripts.refresh", RefreshArgs, "by an incremental training run."),
    ],
)
def test_every_flag_of_the_training_commands_says_what_it_means(command, args, opening):
    shown = subprocess.run(
        [sys.executable, "-m", command, "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = " ".join(shown.split())
    assert opening in text.split("options:")[0]  # the docstring's whole first paragraph
    for field in fields(args):
        flag = "--" + field.name.replace("_", "-")
        found = re.search(rf" {flag} [A-Z0-9_]+ (.*?)\(default: ", text.split("options:")[1])
        assert found and len(found.group(1).split()) >= 3, f"{flag} has no meaning in --help"


def test_full_weights_go_to_the_data_folder_and_lora_to_the_repository(tmp_path):
    config = Config(data_dir=str(tmp_path))
    full = with_outputs(TrainArgs(method="full"), config)
    assert Path(full.output_root) / full.name == tmp_path / "retrained" / "smollm2-corpus-full"
    assert Path(full.output_root) / full.name == config.retrained_path
    own = with_outputs(TrainArgs(method="full"), replace(config, retrained=str(tmp_path / "w")))
    assert (own.output_root, own.name) == (str(tmp_path), "w")  # APP_RETRAINED is honoured
    lora = with_outputs(TrainArgs(), config)
    assert lora.name == "smollm2-corpus-lora" and Path(lora.output_root).name == "adapters"


def test_the_retrained_column_says_how_to_create_its_weights_and_loads_nothing(tmp_path):
    resources = Resources(Config(data_dir=str(tmp_path)))
    column = RetrainedPipeline(resources)
    assert column.optional
    with pytest.raises(PipelineError) as error:
        column.answer("What is the notice period?")
    message = str(error.value)
    assert "python -m scripts.train_lora --method full" in message
    assert "retrained/smollm2-corpus-full in the data folder" in message
    assert str(tmp_path) not in message  # no server path for a visitor to read
    assert resources._engine is None and resources._retrained is None  # the base is not loaded
    assert "(Documents tab)" in message  # where the app may train
    off = Resources(Config(data_dir=str(tmp_path), training="off"))
    with pytest.raises(PipelineError) as error:
        RetrainedPipeline(off).answer("What is the notice period?")
    assert "Documents tab" not in str(error.value)  # APP_TRAINING=off hides the button


def test_weights_that_are_not_a_model_are_refused_with_a_message(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"not safetensors")
    resources = Resources(Config(data_dir=str(tmp_path), retrained=str(folder)))
    with pytest.raises(PipelineError, match="do not load"):
        resources.retrained_engine()


def test_a_refreshed_copy_is_served_until_reset(tmp_path):
    config = Config(data_dir=str(tmp_path))
    refreshed = tmp_path / "retrained" / "refresh-1"
    refreshed.mkdir(parents=True)
    write_active(config, refreshed, config, "retrained")
    assert active_config(config).retrained_path == config.retrained_path  # no model there
    (refreshed / "config.json").write_text("{}")
    served = active_config(config)
    assert served.retrained_path == refreshed and served.adapter == config.adapter
    other = replace(config, retrained=str(tmp_path / "elsewhere"))
    assert active_config(other).retrained_path == tmp_path / "elsewhere"  # configured anew
    reset_active(config, "retrained")
    assert active_config(config).retrained_path == config.retrained_path


def _run(method: str, **extra: object) -> dict:
    return {
        "method": method,
        "wall_s": 600.4,
        "trainable_params": 4_884_480 if method == "lora" else 134_515_008,
        "saved_bytes": 19_600_000 if method == "lora" else 538_090_408,
        "best_val_loss": 0.7317,
        "evaluation": {
            "test": {method: {"exact_match": 0.19, "f1": 0.4155, "contains": 0.2333}},
            "forgetting_delta": -0.56,
        },
        **extra,
    }


def test_the_comparison_table_puts_each_measurement_side_by_side(tmp_path):
    incremental = {
        "before": {"new": {"contains": 0.0}, "old": {"contains": 0.15}},
        "after": {"new": {"contains": 1.0}, "old": {"contains": 0.1}},
    }
    table = comparison_table(
        {"LoRA": ("a", _run("lora", peak_rss_mb=1900.4)), "full": ("b", _run("full"))},
        {"full": ("c", {"evaluation": {"incremental": incremental}})},
    )
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()}
    assert rows["peak memory of the training process"].endswith(f"| 1,900 MB | {MISSING} |")
    assert rows["trainable parameters"].endswith("| 4,884,480 | 134,515,008 |")
    assert rows["trained weights on disk"].endswith("| 19.6 MB | 538.1 MB |")
    assert rows["test exact match"].endswith("| 19.0% | 19.0% |")
    assert rows["forgetting delta (general knowledge, trained − base)"].endswith("| -0.560 |")
    assert rows["incremental update: old test questions answered"].endswith(
        f"| {MISSING} | 15.0% → 10.0% |"
    )


def test_the_weights_size_is_measured_when_the_record_lacks_it(tmp_path):
    (tmp_path / "adapter_model.safetensors").write_bytes(b"x" * 2_500_000)
    table = comparison_table({"LoRA": (tmp_path, {"wall_s": 1.0})})
    assert "| trained weights on disk | 2.5 MB |" in table


def test_the_retrain_panel_reports_a_finished_full_run(tmp_path):
    from documents.store import Documents
    from ui.retrain_panel import _finished, _full_state

    class Library:
        configured = config = Config(data_dir=str(tmp_path / "data"))
        documents = Documents(config)

    assert "no weights yet" in _full_state(Library()) and "--method full" in _full_state(Library())
    out = Library.config.retrained_path
    out.mkdir(parents=True)
    (out / "config.json").write_text("{}")
    (out / "model.safetensors").write_bytes(b"")
    run = _run("full", trained_at="2026-11-25T22:00:00+00:00", corpus_hash="ab" * 32)
    run["evaluation"]["forgetting_delta"] = -0.36
    (out / "run.json").write_text(json.dumps(run))
    text = _finished(Library(), {"adapter": str(out), "elapsed_s": 541.2})
    assert "Trained in 541 s; now serving `smollm2-corpus-full`" in text
    assert "Test questions answered: 23%; forgetting on general knowledge: -0.36" in text
    assert "Retrained column: Trained 2026-11-25" in text


def test_a_refresh_deletes_only_the_copies_it_supersedes(tmp_path):
    from serving.weights import prune_superseded

    config = Config(data_dir=str(tmp_path))
    names = {
        "retrained/refresh-20261125-100000/model.safetensors",  # superseded
        "retrained/refresh-20261125-110000/model.safetensors",  # served now
        "retrained/smollm2-corpus-full/model.safetensors",  # configured
        "models/retrained-refresh-20261125-100000-ab.bfloat16.gguf",  # superseded conversion
        "models/retrained-refresh-20261125-110000-cd.bfloat16.gguf",
        "models/SmolLM2-135M-Instruct.Q4_1-ef.bfloat16.gguf",
        "adapters/refresh-20261125-090000/adapter_model.safetensors",  # the LoRA's: kept
        "adapters/refresh-20261125-090000-12.gguf",
    }
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    served = tmp_path / "retrained" / "refresh-20261125-110000"
    deleted = prune_superseded(config, "retrained", served)
    assert {p.relative_to(tmp_path).as_posix() for p in deleted} == {
        "retrained/refresh-20261125-100000",
        "models/retrained-refresh-20261125-100000-ab.bfloat16.gguf",
    }
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert left == names - {
        "retrained/refresh-20261125-100000/model.safetensors",
        "models/retrained-refresh-20261125-100000-ab.bfloat16.gguf",
    }
