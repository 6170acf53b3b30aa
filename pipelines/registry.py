"""The explicit registry of columns. Adding a column = one module + one line here."""

from __future__ import annotations

from collections.abc import Callable

from pipelines.base import BasePipeline
from pipelines.core import Pipeline
from pipelines.lora import LoraPipeline
from pipelines.rag import RagPipeline
from pipelines.rag_lora import RagLoraPipeline
from pipelines.resources import Resources
from pipelines.retrained import RetrainedPipeline

PIPELINES: dict[str, Callable[[Resources], Pipeline]] = {
    "base": BasePipeline,
    "rag": RagPipeline,
    "lora": LoraPipeline,
    "rag_lora": RagLoraPipeline,
    "retrained": RetrainedPipeline,
}


def default_names() -> list[str]:
    """The columns shown and evaluated unless asked for: all but the optional ones."""
    return [name for name, cls in PIPELINES.items() if not getattr(cls, "optional", False)]


def build_pipelines(resources: Resources, names: list[str] | None = None) -> list[Pipeline]:
    """Instantiate the named pipelines (all by default), in registry order. Cheap: no loading."""
    chosen = list(PIPELINES) if names is None else names
    unknown = [n for n in chosen if n not in PIPELINES]
    if unknown:
        raise ValueError(f"unknown pipelines {unknown}; known: {', '.join(PIPELINES)}")
    return [PIPELINES[name](resources) for name in chosen]
