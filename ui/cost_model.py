"""What each approach costs as questions add up: measured tokens × prices, plus one-off training.

Per-answer token counts come from answers the app measured (this conversation, or the latest
evaluation run); prices are configured or picked from a preset; the LoRA's one-off cost is its
measured training time × an hourly price.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.config import Config
from evaluation.outputs import RUNS
from pipelines.core import Answer, price

log = logging.getLogger(__name__)

# Example list prices per million input/output tokens; "configured" comes from APP_PRICE_*,
# whose defaults are a small hosted model's prices.
_SMALL = (Config.price_input_per_m, Config.price_output_per_m)
PRESETS: dict[str, tuple[float, float] | None] = {
    "Configured (APP_PRICE_INPUT_PER_M / APP_PRICE_OUTPUT_PER_M)": None,
    f"Small hosted model ({_SMALL[0]:g} / {_SMALL[1]:.2f})": _SMALL,
    "Mid-size hosted model (3 / 15)": (3.0, 15.0),
    "Large hosted model (15 / 75)": (15.0, 75.0),
    "Self-hosted, tokens free (0 / 0)": (0.0, 0.0),
}


@dataclass(frozen=True)
class Usage:
    """Mean tokens per answer of one column, over `answers` measured answers."""

    prompt_tokens: float
    completion_tokens: float
    answers: int

    def cost(self, price_in: float, price_out: float) -> float:
        """Cost of one answer at prices per million tokens."""
        return price(self.prompt_tokens, self.completion_tokens, price_in, price_out)


def context_overhead(usage: Mapping[str, Usage]) -> float | None:
    """RAG's context overhead: its mean prompt tokens over the base column's (None until both
    have answered). evaluation.run pairs the two per question; where both columns answered the
    same questions, as in a conversation, the two are the same number."""
    if "rag" in usage and "base" in usage:
        return usage["rag"].prompt_tokens - usage["base"].prompt_tokens
    return None


def usage_of(answers: Iterable[Answer]) -> dict[str, Usage]:
    """Mean token counts per column over measured, complete answers."""
    sums: dict[str, list[float]] = {}
    for answer in answers:
        if answer.done and answer.prompt_tokens:
            total = sums.setdefault(answer.pipeline, [0.0, 0.0, 0])
            total[0] += answer.prompt_tokens
            total[1] += answer.completion_tokens
            total[2] += 1
    return {name: Usage(p / n, c / n, int(n)) for name, (p, c, n) in sums.items()}


def latest_evaluation(data_dir: Path) -> tuple[dict[str, Any], str | None]:
    """Per-pipeline summary of the latest evaluation run under `data_dir/eval-runs`, with the
    run's folder name; empty if there is none."""
    runs = sorted((data_dir / RUNS).glob("*/summary.json"))
    if not runs:
        return {}, None
    try:
        summary = json.loads(runs[-1].read_text())
    except (OSError, ValueError):
        log.warning("cannot read %s", runs[-1])
        return {}, None
    return summary.get("pipelines", {}), runs[-1].parent.name


def usage_from_evaluation(data_dir: Path) -> tuple[dict[str, Usage], str | None]:
    """Mean token counts per column from the latest evaluation run."""
    summary, run = latest_evaluation(data_dir)
    usage = {
        name: Usage(m["prompt_tokens"], m["completion_tokens"], int(m.get("answers", 0) or 0))
        for name, m in summary.items()
        if m.get("prompt_tokens") is not None and m.get("completion_tokens") is not None
    }
    return usage, run


def training_cost(wall_s: float | None, price_per_hour: float) -> float:
    """One-off cost of a training run of `wall_s` seconds."""
    return (wall_s or 0.0) / 3600 * price_per_hour


def break_even(
    per_answer: Mapping[str, float], one_off: Mapping[str, float], a: str, b: str
) -> float | None:
    """The number of questions from which `a` (with its one-off cost) costs no more in total
    than `b`; None if it never catches up."""
    saving = per_answer[b] - per_answer[a]
    extra = one_off.get(a, 0.0) - one_off.get(b, 0.0)
    if extra <= 0 and saving >= 0:
        return 0.0  # never more expensive
    if saving <= 0:
        return None
    return extra / saving


def curve(
    per_answer: Mapping[str, float],
    one_off: Mapping[str, float],
    titles: Mapping[str, str],
    questions: int,
    points: int = 41,
) -> list[dict[str, Any]]:
    """Total cost after n questions for each column, n from 0 to `questions`."""
    steps: Sequence[int] = sorted({round(questions * i / (points - 1)) for i in range(points)})
    return [
        {
            "questions": n,
            "total cost": one_off.get(name, 0.0) + n * cost,
            "approach": titles.get(name, name),
        }
        for name, cost in per_answer.items()
        for n in steps
    ]
