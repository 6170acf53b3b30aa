"""The Costs tab: per-answer cost, RAG's context overhead, the trained columns' one-off training
cost and their retraining after document edits, and total cost against the number of questions
with the break-even point marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from common.config import Config
from pipelines.core import Pipeline, price
from serving.weights import active_config
from training.runs import read_run
from ui.cost_model import (
    EDITS_PER_MONTH,
    HORIZON_FACTOR,
    PRESETS,
    QUESTIONS_PER_MONTH,
    Projection,
    Usage,
    break_even,
    context_overhead,
    horizon,
    plot_points,
    project,
    retrain_record,
    trained_methods,
    training_cost,
    upkeep_per_question,
    usage_from_evaluation,
    usage_of,
)
from ui.render import format_cost
from ui.transcript import Turn

INTRO = """Every figure comes from measured token counts (this conversation's answers, or the
latest evaluation run when you have not asked anything yet), measured training times and the
prices below. RAG pays for its retrieved context on every question; the LoRA adapter pays once
for training, then again for a retraining after each document edit, and asks with short prompts.
The plot shows where the one-off cost is paid back."""


@dataclass(frozen=True)
class Settings:
    """What the viewer set in the tab: prices, use, and how far to plot (0 = automatic)."""

    price_in: float
    price_out: float
    rate: float  # the training machine's price per hour
    edits: float  # document edits per month, each one retraining
    per_month: float  # questions per month
    questions: int  # questions to plot; 0 = about HORIZON_FACTOR × the break-even


def build_cost_tab(turns: gr.State, pipelines: Sequence[Pipeline], config: Config) -> list[Any]:
    """The tab; returns (inputs, handler, outputs) parts the app refreshes when the tab opens."""
    titles = {p.name: p.title for p in pipelines}
    with gr.Tab("Costs") as tab:
        gr.Markdown(INTRO)
        preset, price_in, price_out, hourly = _price_inputs(config)
        edits, per_month, questions = _use_inputs()
        summary = gr.Markdown("", elem_id="cost-summary")
        plot = gr.LinePlot(
            x="questions",
            y="total cost",
            color="approach",
            title="Total cost against number of questions",
            y_title=f"total cost ({config.currency})",
            elem_id="cost-plot",
        )

    def pick(name: str) -> list[Any]:
        prices = PRESETS.get(name) or (config.price_input_per_m, config.price_output_per_m)
        return [prices[0], prices[1]]

    def update(turn_list: list[Turn], *values: float | None) -> list[Any]:
        usage, origin = _usage(turn_list, config)
        p_in, p_out, rate, edit_rate, rate_q, n = (v or 0 for v in values)
        settings = Settings(p_in, p_out, rate, edit_rate, rate_q, int(n))
        return _figures(usage, origin, titles, config, settings)

    fields = [price_in, price_out, hourly, edits, per_month, questions]
    inputs = [turns, *fields]
    preset.change(pick, preset, [price_in, price_out])
    for field in fields:
        field.change(update, inputs, [summary, plot])
    tab.select(update, inputs, [summary, plot])
    return [update, inputs, [summary, plot]]


def _price_inputs(config: Config) -> tuple[gr.Radio, gr.Number, gr.Number, gr.Number]:
    """The preset (a radio, so that every label shows whole), the token prices and the
    training machine's price."""
    money = config.currency
    preset = gr.Radio(
        list(PRESETS), value=next(iter(PRESETS)), label="Price preset", elem_id="cost-preset"
    )
    with gr.Row():
        price_in = _price(config.price_input_per_m, f"Input, {money} per 1M tokens", "cost-in")
        price_out = _price(config.price_output_per_m, f"Output, {money} per 1M tokens", "cost-out")
        hourly = _price(
            config.price_train_per_hour, f"Training machine, {money} per hour", "cost-hourly"
        )
    return preset, price_in, price_out, hourly


def _use_inputs() -> tuple[gr.Number, gr.Number, gr.Number]:
    """How the app is used (document edits and questions per month) and the plot's length."""
    with gr.Row():
        edits = gr.Number(
            EDITS_PER_MONTH,
            minimum=0,
            label="Document edits per month (each one retrains the trained columns)",
            elem_id="cost-edits",
        )
        per_month = gr.Number(
            QUESTIONS_PER_MONTH,
            precision=0,
            minimum=1,
            label="Questions per month",
            elem_id="cost-per-month",
        )
        questions = gr.Number(
            0,
            precision=0,
            minimum=0,
            label=f"Questions to plot (0 = about {HORIZON_FACTOR}× the break-even)",
            elem_id="cost-questions",
        )
    return edits, per_month, questions


def _price(value: float, label: str, elem_id: str) -> gr.Number:
    return gr.Number(value, label=label, minimum=0, elem_id=elem_id)


def _usage(turns: list[Turn], config: Config) -> tuple[dict[str, Usage], str]:
    answers = [a for turn in turns for a in turn.answers.values()]
    usage = usage_of(answers)
    if usage:
        return usage, f"the {len(turns)} questions of this conversation"
    usage, run = usage_from_evaluation(config.data_path)
    return usage, (f"the latest evaluation run ({run})" if run else "")


def _figures(
    usage: dict[str, Usage],
    origin: str,
    titles: dict[str, str],
    config: Config,
    s: Settings,
) -> list[Any]:
    """[the summary's Markdown, the plot's points] at these prices and this use."""
    if not usage:
        return [
            "*No measured answers yet: ask a question in the Chat tab (or run an evaluation), "
            "then come back.*",
            None,
        ]
    money = config.currency
    runs = {"lora": read_run(config.adapter), "full": read_run(config.retrained_path)}
    served = active_config(config)  # an update after an edit is served in their place
    retrains = {
        "lora": retrain_record(config.adapter, served.adapter),
        "full": retrain_record(config.retrained_path, served.retrained_path),
    }
    cost = project(usage, runs, retrains, (s.price_in, s.price_out, s.rate), s.edits, s.per_month)
    lines = [
        _table(usage, cost, titles, money),
        f"Token counts: means over {origin} (from the tokenizer).",
    ]
    if (extra := context_overhead(usage)) is not None:
        lines.append(
            f"**RAG context overhead:** {extra:.0f} prompt tokens per question "
            f"({format_cost(price(extra, 0, s.price_in, 0) * 1000, money)} per 1,000 questions)."
        )
    lines += _training_lines(runs["lora"], runs["full"], s.rate, money)
    lines += _upkeep_lines(retrains, set(trained_methods(usage).values()), s, money)
    n = None
    if "rag" in usage and "lora" in usage:
        n = break_even(cost.total, cost.one_off, "lora", "rag")
        lines.append(_verdict(n, s.edits))
    length = s.questions or horizon(n)
    lines.append(_horizon_line(length, n, s.questions))
    points = plot_points(cost.total, cost.one_off, titles, length, n)
    return ["\n\n".join(lines), pd.DataFrame(points)]


def _table(usage: dict[str, Usage], cost: Projection, titles: dict[str, str], money: str) -> str:
    rows = [
        "| column | tokens in + out | per answer | retraining per answer | per 1,000 answers "
        "| one-off training |",
        "|---|---|---|---|---|---|",
    ]
    for name, u in usage.items():
        figures = (
            cost.per_answer[name],
            cost.upkeep.get(name, 0.0),
            cost.total[name] * 1000,
            cost.one_off.get(name, 0.0),
        )
        rows.append(
            f"| {titles.get(name, name)} | {u.prompt_tokens:.0f} + {u.completion_tokens:.0f} | "
            + " | ".join(format_cost(f, money) for f in figures)
            + " |"
        )
    return "\n".join(rows)


def _training_lines(
    lora_run: dict[str, Any], full_run: dict[str, Any], rate: float, money: str
) -> list[str]:
    """The measured one-off costs of training the adapter and retraining every weight."""
    lines = []
    if train_s := lora_run.get("wall_s"):
        lines.append(
            f"**LoRA training:** {train_s / 60:.1f} min measured ({lora_run.get('hardware', '')})"
            f" × {rate:g} {money}/h = {format_cost(training_cost(train_s, rate), money)}, once."
        )
    if full_s := full_run.get("wall_s"):
        size_mb = full_run.get("saved_bytes", 0) / 1e6
        lines.append(
            f"**Full retraining:** {full_s / 60:.1f} min measured "
            f"({full_run.get('hardware', '')}) × {rate:g} {money}/h = "
            f"{format_cost(training_cost(full_s, rate), money)}, once "
            f"(and {size_mb:,.0f} MB of weights to keep per version)."
        )
    return lines


def _upkeep_lines(
    retrains: dict[str, dict[str, Any]], methods: set[str], s: Settings, money: str
) -> list[str]:
    """What the retraining after each document edit costs, and from which measured run."""
    names = {"lora": "the LoRA adapter", "full": "the Retrained column's weights"}
    lines = []
    for method in sorted(methods):
        run = retrains[method]
        if not run.get("wall_s"):
            lines.append(f"**Upkeep of {names[method]}:** no measured training time to price.")
            continue
        each = training_cost(run["wall_s"], s.rate)
        which = (
            "its last update after an edit (`scripts.refresh`)"
            if "refresh" in run
            else "its first training (no update after an edit measured yet; an update trains on "
            "fewer questions)"
        )
        lines.append(
            f"**Upkeep of {names[method]}:** {s.edits:g} document edits per month, each a "
            f"retraining: {run['wall_s'] / 60:.1f} min measured for {which} × {s.rate:g} "
            f"{money}/h = {format_cost(each, money)} each, "
            f"{format_cost(each * s.edits, money)} per month over {s.per_month:,.0f} questions "
            f"= {format_cost(upkeep_per_question(each, s.edits, s.per_month), money)} per answer."
        )
    return lines


def _verdict(n: float | None, edits: float) -> str:
    upkeep = f" with {edits:g} retrainings a month" if edits else ""
    if n is None:
        return (
            f"**Break-even:** never — at these prices{upkeep} the LoRA column is not cheaper "
            "per answer."
        )
    if n == 0:
        return "**Break-even:** from the first question."
    return (
        f"**Break-even:** LoRA costs less in total than RAG{upkeep} from question **{n:,.0f}** on."
    )


def _horizon_line(length: int, n: float | None, chosen: int) -> str:
    if chosen:
        return f"Plotted to {length:,} questions, as set."
    if n:
        return f"Plotted to {length:,} questions, about {HORIZON_FACTOR}× the break-even."
    return f"Plotted to {length:,} questions (no break-even to scale the plot to)."
