"""What each approach costs as questions add up: measured tokens × prices, plus one-off training
and the retraining that document edits call for.

Per-answer token counts come from answers the app measured (this conversation, or the latest
evaluation run); prices are configured or picked from a preset; the LoRA's one-off cost is its
measured training time × an hourly price, and each document edit costs one more (measured)
retraining, spread over the questions asked meanwhile.
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
from training.runs import read_run

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
# The Costs tab's starting assumptions about use, which a viewer changes in the tab.
EDITS_PER_MONTH = 4  # document edits per month, each calling for a retraining
QUESTIONS_PER_MONTH = 10_000
HORIZON_FACTOR = 3  # the plot runs to about this many times the break-even point
FALLBACK_HORIZON = 10_000  # questions plotted when there is no break-even to scale to


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
    summary, run = latest_evaluation_file(data_dir)
    return summary.get("pipelines", {}), run


def latest_evaluation_file(data_dir: Path) -> tuple[dict[str, Any], str | None]:
    """The latest evaluation run's whole summary.json ("meta" and "pipelines"), with the run's
    folder name; empty if there is none."""
    runs = sorted((data_dir / RUNS).glob("*/summary.json"))
    if not runs:
        return {}, None
    try:
        summary = json.loads(runs[-1].read_text())
    except (OSError, ValueError):
        log.warning("cannot read %s", runs[-1])
        return {}, None
    return (summary if isinstance(summary, dict) else {}), runs[-1].parent.name


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


def retrain_record(configured: str | Path, served: str | Path) -> dict[str, Any]:
    """The run record that measures one retraining after a document edit: the incremental
    update the app serves now (`served`, a record with "refresh"), else the first training of
    the `configured` weights, which a retraining from scratch repeats; empty if neither."""
    update = read_run(served)
    return update if "refresh" in update and update.get("wall_s") else read_run(configured)


def upkeep_per_question(
    retrain_cost: float, edits_per_month: float, questions_per_month: float
) -> float:
    """One retraining per document edit, spread over the questions asked in the same month."""
    if questions_per_month <= 0:
        return 0.0
    return retrain_cost * max(edits_per_month, 0.0) / questions_per_month


def horizon(n: float | None) -> int:
    """Questions to plot: about HORIZON_FACTOR × the break-even `n`, rounded up to two
    significant digits; FALLBACK_HORIZON without a break-even past the first question."""
    if not n or n <= 0:
        return FALLBACK_HORIZON
    target = max(HORIZON_FACTOR * n, 10.0)
    step = 10 ** max(len(str(int(target))) - 2, 0)
    return int(-(-target // step) * step)


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


def trained_methods(columns: Iterable[str]) -> dict[str, str]:
    """The trained columns and the training method behind each: the LoRA columns share the
    adapter ("lora"), the Retrained column is trained in full ("full")."""
    methods = {name: "lora" for name in columns if "lora" in name}
    methods.update({name: "full" for name in columns if name == "retrained"})
    return methods


@dataclass(frozen=True)
class Projection:
    """Per column: tokens per answer, retraining per answer and one-off training, in money."""

    per_answer: dict[str, float]
    upkeep: dict[str, float]
    one_off: dict[str, float]

    @property
    def total(self) -> dict[str, float]:
        """What each further answer costs, retraining included."""
        return {n: cost + self.upkeep.get(n, 0.0) for n, cost in self.per_answer.items()}


def project(
    usage: Mapping[str, Usage],
    runs: Mapping[str, Mapping[str, Any]],
    retrains: Mapping[str, Mapping[str, Any]],
    prices: tuple[float, float, float],
    edits_per_month: float,
    questions_per_month: float,
) -> Projection:
    """Costs at `prices` (input and output per million tokens, the training machine per hour)
    from measured `usage` and, per method, the first training's run record (`runs`) and the
    one a retraining after an edit repeats (`retrains`)."""
    price_in, price_out, rate = prices
    methods = trained_methods(usage)
    return Projection(
        per_answer={name: u.cost(price_in, price_out) for name, u in usage.items()},
        upkeep={
            name: upkeep_per_question(
                training_cost(retrains[m].get("wall_s"), rate),
                edits_per_month,
                questions_per_month,
            )
            for name, m in methods.items()
        },
        one_off={name: training_cost(runs[m].get("wall_s"), rate) for name, m in methods.items()},
    )


def plot_points(
    per_answer: Mapping[str, float],
    one_off: Mapping[str, float],
    titles: Mapping[str, str],
    questions: int,
    n: float | None,
) -> list[dict[str, Any]]:
    """Total cost per approach up to `questions`, with a vertical line at the break-even `n`."""
    points = curve(per_answer, one_off, titles, questions)
    if n is not None and 0 < n <= questions:
        top = max(p["total cost"] for p in points)
        points += [
            {"questions": round(n), "total cost": y, "approach": "break-even"} for y in (0, top)
        ]
    return points
