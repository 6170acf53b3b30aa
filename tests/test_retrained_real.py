"""Full retraining with the real model: a few steps save weights that load into the Retrained
column; the base column in the same process is untouched; an incremental update follows an edit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.speed import reference_answer, together
from common.config import Config
from documents.store import Documents
from pipelines.generation import chat
from pipelines.resources import Resources
from pipelines.retrained import RetrainedPipeline
from serving.model import load_model
from serving.weights import active_config
from tests.test_trainer_real import ITEMS  # the tiny made-up facts both methods learn
from training.progress import ProgressFile
from training.qa import write_jsonl
from training.refresh import RefreshArgs, run
from training.runs import read_run
from training.trainer import TrainArgs, TrainResult, train

pytestmark = pytest.mark.model

QUESTION = "What is the notice period in the Terms of Service?"


@pytest.fixture(scope="module")
def trained(resources, tmp_path_factory) -> tuple[TrainResult, str]:
    """A few full-training steps on a tiny set, run in the process that already serves the base
    column (`resources`); returns the result and the base's greedy answer from before."""
    base_before = resources_answer(resources)
    root = tmp_path_factory.mktemp("full")
    write_jsonl(root / "qa" / "train.jsonl", ITEMS)
    write_jsonl(root / "qa" / "validation.jsonl", ITEMS[:2])
    args = TrainArgs(
        method="full",
        name="tiny-full",
        data_dir=str(root / "qa"),
        output_root=str(root),
        epochs=6,
        batch_size=2,
        patience=6,
    )
    model, tokenizer = load_model(resources.config, dtype="float32")
    result = train(args, model, tokenizer)
    return result, base_before


def resources_answer(resources: Resources) -> str:
    from pipelines.base import BasePipeline

    return BasePipeline(resources).answer(QUESTION).text


def test_a_few_full_steps_save_weights_that_load_into_the_column_and_the_loss_falls(
    trained, resources
):
    result, _ = trained
    assert result.last_train_loss < result.first_train_loss * 0.7
    model = load_model(resources.config)[0]
    assert result.trainable_params == sum(p.numel() for p in model.parameters())  # every weight
    assert (result.output_dir / "model.safetensors").is_file()
    assert result.saved_bytes == (result.output_dir / "model.safetensors").stat().st_size
    assert result.peak_rss_mb > 0

    column = RetrainedPipeline(
        Resources(replace(resources.config, retrained=str(result.output_dir)))
    )
    answer = column.answer(ITEMS[0]["question"])
    assert answer.done and answer.completion_tokens > 0 and answer.prompt_tokens > 0
    assert "teal" in answer.text.lower()  # learnt in a few steps


def test_the_base_column_never_shares_weights_with_the_retrained_one(trained, resources):
    result, base_before = trained
    assert resources_answer(resources) == base_before  # full training ran in this process
    torch_config = replace(
        resources.config, retrained=str(result.output_dir), engine="transformers"
    )
    both = Resources(torch_config)
    base, retrained = both.engine().model, both.retrained_engine().model
    assert not {p.data_ptr() for p in base.parameters()} & {
        p.data_ptr() for p in retrained.parameters()
    }  # no storage in common
    question = both.engine().prompt_ids(chat([], ITEMS[0]["question"]))
    assert reference_answer(base, both.engine().tokenizer, question, None, 16) != (
        reference_answer(retrained, both.engine().tokenizer, question, None, 16)
    )


def test_llama_cpp_serves_the_retrained_weights_like_transformers(trained, resources):
    pytest.importorskip("llama_cpp")
    result, _ = trained
    config = replace(resources.config, retrained=str(result.output_dir), dtype="bfloat16")
    llama = Resources(replace(config, engine="llama.cpp")).retrained_engine()
    assert llama.label.startswith("llama.cpp")
    reference = Resources(replace(config, engine="transformers")).retrained_engine()
    same = 0
    for item in ITEMS:
        ids = llama.prompt_ids(chat([], item["question"]))
        text = together(llama, [(ids, None)], 16, forced=False)[0].text
        same += (
            text.strip()
            == reference_answer(reference.model, reference.tokenizer, ids, None, 16).strip()
        )
    assert same >= len(ITEMS) - 1  # the two engines round bf16 sums differently


def test_an_incremental_update_continues_from_the_retrained_weights(trained, tmp_path):
    result, _ = trained
    config = Config(data_dir=str(tmp_path / "data"), retrained=str(result.output_dir))
    documents = Documents(config)
    terms = documents.locate("legal/terms-of-service.md").read_text()
    edited = terms.replace(
        "Professional plan allows 25 Authorised", "Professional plan allows 40 Authorised"
    )
    documents.save("legal/terms-of-service.md", edited)
    args = RefreshArgs(method="full", epochs=2, replay=8, repeat=2, retained=4)
    out = run(args, config, ProgressFile(tmp_path / "progress.json"))

    record = read_run(out)
    assert record["method"] == "full" and record["refresh"]["from"] == str(result.output_dir)
    assert {
        "id": "terms-of-service-013",
        "before": "25 Authorised Users",
        "after": "40 Authorised Users",
    } in record["refresh"]["updated"]
    incremental = record["evaluation"]["incremental"]
    assert set(incremental) == {"before", "after"} and incremental["after"]["old"]["n"] == 4
    assert Path(out).parent == tmp_path / "data" / "retrained"
    served = active_config(config)
    assert served.retrained_path == out and served.adapter == config.adapter
