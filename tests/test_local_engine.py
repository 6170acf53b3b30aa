"""Adapters in a local engine: loaded from safetensors only, never from a pickle (which can run
code); two of them (the recall adapter, the reader) routed by name, each failing on its own."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.documents import Document

from common.config import REPO_ROOT, Config
from documents.index import Hit
from pipelines.lora import LoraPipeline
from pipelines.rag_lora import RagLoraPipeline
from pipelines.runner import run_all
from serving.engine import ADAPTER, READER
from serving.local_engine import check_adapter, load_engine


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


# Two adapters in one engine, on a tiny random Llama (no download, a second to build).

VOCAB = 48


class _Tokenizer:
    """Enough of a tokenizer for LocalEngine: a chat prompt as a few ids, ids as text."""

    pad_token_id = 0
    eos_token_id = None

    def apply_chat_template(self, messages, **_):
        import torch

        text = " ".join(m["content"] for m in messages)
        ids = [3 + sum(map(ord, word)) % (VOCAB - 3) for word in text.split()][-12:]
        return {"input_ids": torch.tensor([[1, *ids]])}

    def decode(self, ids, skip_special_tokens=True):
        return " ".join(str(int(i)) for i in ids)


def _tiny_model():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        eos_token_id=None,
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    return model


def _adapter(folder: Path, seed: int, modules: list[str]) -> str:
    """A LoRA adapter with random (non-zero) B matrices, saved as safetensors."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=modules, init_lora_weights=False)
    get_peft_model(_tiny_model(), config).save_pretrained(str(folder))
    return str(folder)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("adapters")
    return {
        ADAPTER: _adapter(root / "recall", 1, ["q_proj", "v_proj"]),
        READER: _adapter(root / "reader", 2, ["o_proj", "down_proj"]),  # other layers
    }


def test_two_adapters_are_routed_by_name_each_row_as_peft_answers_it(folders):
    from benchmarks.speed import reference_answer, together

    engine = load_engine(_tiny_model(), _Tokenizer(), folders)
    assert engine.loaded == [ADAPTER, READER]
    ids = engine.prompt_ids([{"role": "user", "content": "What is the notice period?"}])
    names = [None, ADAPTER, READER, ADAPTER, None, READER]
    texts = [t.text for t in together(engine, [(ids, n) for n in names], 12, forced=False)]
    expected = {n: reference_answer(engine.model, engine.tokenizer, ids, n, 12) for n in names}
    assert texts == [expected[n] for n in names]  # mixed in one batch, each as PEFT says
    assert len(set(expected.values())) == 3  # and the three weights do answer differently
    plain = reference_answer(_tiny_model(), engine.tokenizer, ids, None, 12)
    assert expected[None] == plain  # the base rows never see an adapter
    engine.close()


def _columns(engine, config: Config) -> dict[str, Any]:
    """The LoRA and RAG + LoRA columns on `engine`, with one made-up retrieved passage."""
    passage = Document(
        page_content="Notice is 60 days.",
        metadata={
            "document": "legal/terms.md",
            "title": "Terms",
            "section": "Renewal",
            "text": "Notice is 60 days.",
        },
    )
    resources = SimpleNamespace(config=config, engine=lambda: engine)
    rag_lora = RagLoraPipeline(resources, rag_name_check=0, rag_context="chunks")
    rag_lora.retrieve = lambda question, history=(): [Hit(passage, 0.9)]
    return {"lora": LoraPipeline(resources), "rag_lora": rag_lora}


def test_a_missing_reader_fails_only_its_column_with_the_command_that_trains_it(folders, tmp_path):
    config = Config(data_dir=str(tmp_path), adapter=folders[ADAPTER], max_new_tokens=6)
    missing = tmp_path / "smollm2-corpus-reader"
    engine = load_engine(_tiny_model(), _Tokenizer(), {ADAPTER: folders[ADAPTER], READER: missing})
    assert engine.loaded == [ADAPTER]
    error = engine.adapter_error(READER) or ""
    assert "APP_READER_ADAPTER" in error and "`python -m scripts.train_lora --task read`" in error
    assert missing.name in error and str(tmp_path) not in error
    columns = _columns(engine, config)
    states = list(run_all(list(columns.values()), "What is the notice period?", [[], []]))
    lora = [s.answer for s in states if s.index == 0 and s.answer and s.answer.done]
    assert lora and lora[0].text and lora[0].completion_tokens == 6
    assert [s.error for s in states if s.index == 1 and s.error] == [error]
    assert columns["rag_lora"].title == "RAG + reader fine-tune"
    engine.close()


def test_a_broken_reader_leaves_the_recall_adapter_serving(folders, tmp_path):
    broken = tmp_path / "reader"
    shutil.copytree(folders[READER], broken)
    config = json.loads((broken / "adapter_config.json").read_text())
    (broken / "adapter_config.json").write_text(json.dumps({**config, "r": 8}))  # wrong shapes
    engine = load_engine(_tiny_model(), _Tokenizer(), {ADAPTER: folders[ADAPTER], READER: broken})
    assert engine.loaded == [ADAPTER]
    assert "APP_READER_ADAPTER" in (engine.adapter_error(READER) or "")
    assert set(engine.model.peft_config) == {ADAPTER}  # the half-loaded reader is taken out
    engine.close()
