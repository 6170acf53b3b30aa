"""APP_ENGINE=llama.cpp: the GGUF model as it is, the PEFT adapter converted to a GGUF LoRA."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evaluation.speed import reference_answer, together
from pipelines.config import REPO_ROOT
from pipelines.generation import chat
from pipelines.resources import Resources
from training.qa import read_jsonl

pytestmark = pytest.mark.model

TRAINED = read_jsonl(REPO_ROOT / "data" / "qa" / "train.jsonl")[:4]


@pytest.fixture(scope="module")
def llama(real_config):
    pytest.importorskip("llama_cpp")
    return Resources(replace(real_config, engine="llama.cpp")).engine()


@pytest.fixture(scope="module")
def peft(real_config):
    """transformers + PEFT in float32: the reference."""
    return Resources(replace(real_config, engine="transformers", dtype="float32")).engine()


def test_the_converted_adapter_answers_like_peft(llama, peft):
    """The GGUF LoRA must carry the fine-tuning: on trained facts llama.cpp's LoRA column says
    what PEFT says (up to quantisation), and not what the base says."""
    assert llama.has_adapter, llama.adapter_error
    same = 0
    for item in TRAINED:
        ids = llama.prompt_ids(chat([], item["question"]))
        base, lora = together(llama, [(ids, False), (ids, True)], 24, forced=False)
        expected = reference_answer(peft.model, peft.tokenizer, ids, True, 24)
        same += lora.text.strip() == expected.strip()
        assert lora.text != base.text
    assert same >= len(TRAINED) - 1


def test_the_base_row_is_the_same_alone_and_beside_the_adapter_row(llama):
    ids = llama.prompt_ids(chat([], "What is the capital of France?"))
    alone = together(llama, [(ids, False)], 24, forced=False)[0].text
    mixed = together(llama, [(ids, True), (ids, False), (ids, True)], 24, forced=False)
    assert mixed[1].text == alone
    assert mixed[0].text == mixed[2].text != alone


def test_a_model_that_is_not_gguf_is_refused_with_the_variable_named(real_config, tmp_path):
    from pipelines.core import PipelineError
    from pipelines.llama_engine import load_llama_engine

    config = replace(real_config, engine="llama.cpp", model=str(tmp_path))
    with pytest.raises(PipelineError, match="APP_MODEL"):
        load_llama_engine(config)
