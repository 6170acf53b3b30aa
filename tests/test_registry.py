import pytest

from common.config import Config
from pipelines.core import Pipeline
from pipelines.registry import PIPELINES, build_pipelines, default_names
from pipelines.resources import Resources


def test_registry_lists_the_columns_in_order_with_rag_lora_and_retrained_optional():
    assert list(PIPELINES) == ["base", "rag", "lora", "rag_lora", "retrained"]
    assert default_names() == ["base", "rag", "lora"]


def test_building_pipelines_is_cheap_and_follows_the_protocol():
    resources = Resources(Config())
    pipelines = build_pipelines(resources)
    assert [p.name for p in pipelines] == ["base", "rag", "lora", "rag_lora", "retrained"]
    assert [p.optional for p in pipelines] == [False, False, False, True, True]
    assert all(isinstance(p, Pipeline) for p in pipelines)
    assert resources._engine is None and resources._index is None  # nothing loaded yet
    assert resources._retrained is None


def test_a_subset_can_be_chosen_and_unknown_names_are_refused():
    resources = Resources(Config())
    assert [p.name for p in build_pipelines(resources, ["lora", "base"])] == ["lora", "base"]
    with pytest.raises(ValueError, match="unknown pipelines"):
        build_pipelines(resources, ["distilled"])


def test_a_new_column_is_one_registry_entry(monkeypatch, fake_pipelines):
    before = [p.name for p in build_pipelines(Resources(Config()))]
    monkeypatch.setitem(PIPELINES, "echo", lambda resources: fake_pipelines[0])
    names = [p.name for p in build_pipelines(Resources(Config()))]
    assert len(names) == len(before) + 1
