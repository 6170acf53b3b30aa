"""The Explainer tab's text from measured records: the full retraining's run record wherever the
app keeps it, RAG's quality from the latest evaluation, latency said to be under load or not."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from common.config import Config
from pipelines.core import Answer
from serving.weights import write_active
from training.compare import MISSING
from ui.explainer_tab import explainer, facts
from ui.transcript import Turn

LORA = {
    "method": "lora",
    "wall_s": 585.4,
    "evaluation": {
        "test": {
            "base": {"contains": 0.0083, "f1": 0.0207},
            "lora": {"contains": 0.2333, "f1": 0.4085},
        }
    },
}
FULL = {
    "method": "full",
    "wall_s": 540.2,
    "trainable_params": 134_515_008,
    "evaluation": {
        "test": {"base": {"contains": 0.0083}, "full": {"contains": 0.2417, "f1": 0.443}}
    },
}


def _record(folder: Path, run: dict, marker: str = "config.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / marker).write_text("{}")
    (folder / "run.json").write_text(json.dumps(run))
    return folder


def _config(tmp_path: Path) -> Config:
    adapter = _record(tmp_path / "lora", LORA, "adapter_config.json")
    return Config(data_dir=str(tmp_path / "data"), adapter=str(adapter))


def _text(config: Config, turns: list[Turn] = (), served: Config | None = None) -> str:
    return explainer(facts(config, lambda: [], list(turns), served))


def _section(text: str, title: str) -> str:
    return text.split(f"### {title}")[1].split("###")[0]


def test_the_full_retraining_numbers_come_from_its_run_record(tmp_path):
    config = _config(tmp_path)
    _record(config.retrained_path, FULL)
    table = _section(_text(config), "LoRA vs full retraining, measured")
    assert "| measured | LoRA | full retraining |" in table
    assert "| training wall time | 585 s | 540 s |" in table
    assert "| trainable parameters | — | 134,515,008 |" in table  # absent from LoRA's record
    quality = _section(_text(config), "Quality on held-out questions")
    # no evaluation yet: the training records' test scores, marked
    assert "| answer contains the gold answer | 1%† | – | 23%† | – | 24%† |" in quality
    assert "| training time | none | none | 10 min |" in quality and " | 9 min |" in quality


def test_a_served_update_leads_back_to_the_full_training_record(tmp_path):
    # The configured folder holds no record (weights moved, or APP_RETRAINED changed since);
    # the update the Retrained column serves names the weights it was trained from.
    config = _config(tmp_path)
    origin = _record(tmp_path / "elsewhere" / "smollm2-corpus-full", FULL)
    update = _record(
        config.data_path / "retrained" / "refresh-20261201-100000",
        {"method": "full", "wall_s": 66.9, "refresh": {"from": str(origin)}},
    )
    write_active(config, update, config, "retrained")
    from serving.weights import active_config

    table = _section(_text(config, served=active_config(config)), "LoRA vs full retraining")
    assert "| training wall time | 585 s | 540 s |" in table


def test_without_a_full_run_record_the_table_has_no_column_of_dashes(tmp_path):
    config = _config(tmp_path)
    table = _section(_text(config), "LoRA vs full retraining, measured")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0] == "| measured | LoRA |"
    assert all(len(row.strip("|").split(" | ")) == 2 for row in rows)  # no column of dashes
    assert f"| {MISSING} | {MISSING} |" not in table
    assert "no run record on this server" in table
    assert "retrained/smollm2-corpus-full in the data folder" in table  # where it looked


def test_rag_quality_comes_from_the_latest_evaluation(tmp_path):
    config = _config(tmp_path)
    run = config.data_path / "eval-runs" / "20261201-120000"
    run.mkdir(parents=True)
    summary = {
        "meta": {"questions": 135},
        "pipelines": {"rag": {"contains": 0.25, "f1": 0.172, "retrieval_p50_s": 0.021}},
    }
    (run / "summary.json").write_text(json.dumps(summary))
    quality = _section(_text(config), "Quality on held-out questions")
    header, _, contains, f1 = quality.strip().split("\n\n")[1].splitlines()[:4]
    assert header == "| | base | RAG | LoRA (recall) | RAG + reader | Retrained |"
    assert contains.startswith("| answer contains the gold answer | 1%† | 25% | 23%† | – |")
    assert f1.startswith("| token F1 | 0.021† | 0.172 | 0.408† |")
    assert "the latest evaluation (20261201-120000, 135 questions asked)" in quality
    latency = _section(_text(config), "Retrieval latency and data quality")
    assert "21 ms median in the latest evaluation, one answer at a time" in latency


def test_all_five_columns_come_from_one_evaluation_and_their_training_records(tmp_path):
    config = replace(_config(tmp_path), reader_adapter=str(tmp_path / "reader"))
    reader = {"method": "lora", "wall_s": 1260, "evaluation": {"forgetting_delta": -0.27}}
    _record(tmp_path / "reader", reader, "adapter_config.json")
    metrics = {"contains": 0.3, "f1": 0.4, "abstention_rate": 0.9, "false_abstention_rate": 0.1}
    names = ("base", "rag", "lora", "rag_lora", "retrained")
    pipelines = {
        n: {**metrics, "contains": i / 10, "prompt_tokens": 300} for i, n in enumerate(names)
    }
    run = config.data_path / "eval-runs" / "20261207-050000"
    run.mkdir(parents=True)
    (run / "summary.json").write_text(
        json.dumps({"meta": {"questions": 135}, "pipelines": pipelines})
    )
    quality = _section(_text(config), "Quality on held-out questions")
    assert "| answer contains the gold answer | 0% | 10% | 20% | 30% | 40% |" in quality
    assert "| unanswerable questions declined | 90% | 90% | 90% | 90% | 90% |" in quality
    assert "| answerable questions wrongly declined | 10% | 10% | 10% | 10% | 10% |" in quality
    assert "| prompt tokens per answer (mean) | 300 | 300 | 300 | 300 | 300 |" in quality
    assert "| training time | none | none | 10 min | 21 min | – |" in quality
    assert (
        "| forgetting (general set) | none (base weights) | none (base weights) | – | -0.27 | – |"
        in quality
    )


def _turn(columns: list[str], retrieval_s: float) -> Turn:
    answers = {
        name: Answer(name, retrieval_s=retrieval_s if "rag" in name else None, done=True)
        for name in columns
    }
    return Turn("q", "2026-12-01T12:00:00+00:00", answers)


def test_a_latency_taken_while_other_answers_ran_says_so(tmp_path):
    config = _config(tmp_path)
    together = [_turn(["base", "rag", "lora"], 0.030), _turn(["base", "rag", "lora"], 0.050)]
    latency = _section(_text(config, together), "Retrieval latency and data quality")
    assert "40 ms median in this conversation, measured under load: up to 3 answers" in latency
    alone = _section(_text(config, [_turn(["rag"], 0.012)]), "Retrieval latency")
    assert "12 ms median in this conversation, one answer at a time" in alone
    assert "under load" not in alone
