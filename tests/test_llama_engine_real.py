"""APP_ENGINE=llama.cpp: the GGUF model (re-encoded in APP_DTYPE), the PEFT adapters (the recall
adapter, the reader) converted to GGUF LoRAs, each served in a context of its own."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.speed import reference_answer, together
from common.config import REPO_ROOT
from pipelines.generation import chat
from pipelines.resources import Resources
from serving.engine import ADAPTER, READER
from serving.llama_rows import common_prefix
from training.qa import read_jsonl

pytestmark = pytest.mark.model

TRAINED = read_jsonl(REPO_ROOT / "data" / "qa" / "train.jsonl")[:4]


@pytest.fixture(scope="module")
def stand_in_reader(adapter_dir: Path, tmp_path_factory) -> str:
    """A reader that answers unlike the recall adapter (the trained one may not exist yet): the
    recall adapter with its B matrices negated."""
    from safetensors.torch import load_file, save_file

    out = tmp_path_factory.mktemp("adapters") / "stand-in-reader"
    out.mkdir()
    shutil.copy(adapter_dir / "adapter_config.json", out)
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    negated = {name: -t if ".lora_B." in name else t for name, t in tensors.items()}
    save_file(negated, str(out / "adapter_model.safetensors"))
    return str(out)


@pytest.fixture(scope="module")
def llama(real_config, stand_in_reader):
    pytest.importorskip("llama_cpp")
    config = replace(real_config, engine="llama.cpp", reader_adapter=stand_in_reader)
    return Resources(config).engine()


@pytest.fixture(scope="module")
def peft(real_config, stand_in_reader):
    """transformers + PEFT in float32: the reference."""
    config = replace(real_config, engine="transformers", dtype="float32")
    return Resources(replace(config, reader_adapter=stand_in_reader)).engine()


def test_each_converted_adapter_answers_like_peft_in_one_batch(llama, peft):
    """The GGUF LoRAs must carry the fine-tuning: on trained facts llama.cpp's rows of each
    adapter say what PEFT says with it (up to quantisation), and not what the base says."""
    assert llama.loaded == [ADAPTER, READER] == peft.loaded
    names = [None, ADAPTER, READER]
    same = 0
    for item in TRAINED:
        ids = llama.prompt_ids(chat([], item["question"]))
        base, lora, reader = together(llama, [(ids, n) for n in names], 24, forced=False)
        assert len({base.text, lora.text, reader.text}) == 3
        expected = [reference_answer(peft.model, peft.tokenizer, ids, n, 24) for n in names[1:]]
        same += [lora.text.strip(), reader.text.strip()] == [e.strip() for e in expected]
    assert same >= len(TRAINED) - 1


def test_the_base_row_is_the_same_alone_and_beside_the_adapter_rows(llama):
    ids = llama.prompt_ids(chat([], "What is the capital of France?"))
    alone = together(llama, [(ids, None)], 24, forced=False)[0].text
    names = [ADAPTER, None, READER, ADAPTER, READER]
    mixed = [t.text for t in together(llama, [(ids, n) for n in names], 24, forced=False)]
    assert mixed[1] == alone
    assert mixed[0] == mixed[3] != alone and mixed[2] == mixed[4] != alone


def _greedy(engine, ids, adapter=None):
    return together(engine, [(ids, adapter)], 24, forced=False)[0].text


def _ids(prompt) -> list[int]:
    return [int(t) for t in prompt.reshape(-1)]


def test_a_prompt_that_starts_like_an_earlier_one_is_read_from_where_it_differs(llama):
    """The follow-up question's prompt repeats the conversation so far: those tokens are copied
    from the cache, and the answer is the one read from scratch gives."""
    rows = llama.rows
    first = llama.prompt_ids(chat([], "What is the capital of France?"))
    first_answer = _greedy(llama, first)
    history = [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": first_answer},
    ]
    follow_up = llama.prompt_ids(chat(history, "And of Italy?"))
    common = common_prefix(_ids(first), _ids(follow_up))
    assert common >= 20
    for adapter in (None, ADAPTER, READER):
        llama.forget_prompts()
        _greedy(llama, first, adapter)  # the first turn, in this column's context
        before = rows.reused_tokens
        cached = _greedy(llama, follow_up, adapter)
        assert rows.reused_tokens - before >= common
        # ... and the answer says so, for the UI to label its first-token time
        stream = llama.stream(follow_up, adapter=adapter, max_new_tokens=2, temperature=0)
        *_, piece = stream
        assert piece.cached_tokens >= common
        llama.forget_prompts()
        before = rows.reused_tokens
        assert _greedy(llama, follow_up, adapter) == cached  # read whole this time
        assert rows.reused_tokens == before


def test_a_long_prompt_asked_again_answers_exactly_as_the_first_time(llama):
    """Restored whole with its logits: no pass is run and no rounding can differ, also where a
    re-read of part of a long prompt would round differently."""
    rows = llama.rows
    passage = " ".join(f"Clause {i}: the notice period is {i + 20} days." for i in range(40))
    question = passage + " What is the notice period of clause 7?"
    ids = llama.prompt_ids(chat([], question))
    assert ids.shape[-1] > 500
    for adapter in (None, ADAPTER):  # the reader's context caches alike (test above)
        llama.forget_prompts()
        first = _greedy(llama, ids, adapter)
        before = rows.reused_tokens
        assert _greedy(llama, ids, adapter) == first
        assert rows.reused_tokens - before == ids.shape[-1]
        # Also after a follow-up whose prompt extends this one was read.
        history = [{"role": "user", "content": question}, {"role": "assistant", "content": first}]
        follow_up = llama.prompt_ids(chat(history, "And of clause 8?"))
        assert common_prefix(_ids(ids), _ids(follow_up)) == ids.shape[-1]
        _greedy(llama, follow_up, adapter)
        before = rows.reused_tokens
        assert _greedy(llama, ids, adapter) == first
        assert rows.reused_tokens - before == ids.shape[-1]


def test_the_prompt_cache_keeps_within_its_size(llama):
    context = llama.rows.plain
    size = context.cache_bytes
    try:
        context.cache_bytes, context.cache = 1 << 20, []  # about 45 tokens of this model
        for question in ("Name a colour.", "Name a fruit.", "Name a river in Europe."):
            ids = llama.prompt_ids(chat([], question))
            _greedy(llama, ids)
            assert sum(c.size for c in context.cache) <= context.cache_bytes
            assert [c.ids for c in context.cache] == [_ids(ids)]
        long = llama.prompt_ids(chat([], "Repeat: " + "word " * 200))
        _greedy(llama, long)  # too big to keep: not kept, and the last short one stays
        assert [c.ids for c in context.cache] == [_ids(ids)]
    finally:
        context.cache_bytes, context.cache = size, []


def test_a_model_that_is_not_gguf_is_refused_with_the_variable_named(real_config, tmp_path):
    from common.errors import PipelineError
    from serving.llama_engine import load_llama_engine

    config = replace(real_config, engine="llama.cpp", model=str(tmp_path))
    with pytest.raises(PipelineError, match="APP_MODEL"):
        load_llama_engine(config)
