"""The Costs tab: per-answer cost, RAG's context overhead, LoRA's one-off training cost, and
total cost against the number of questions with the break-even point marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr
import pandas as pd

from common.config import Config
from pipelines.core import Pipeline, price
from training.runs import read_run
from ui.cost_model import (
    PRESETS,
    Usage,
    break_even,
    context_overhead,
    curve,
    training_cost,
    usage_from_evaluation,
    usage_of,
)
from ui.render import format_cost
from ui.transcript import Turn

INTRO = """Every figure comes from measured token counts (this conversation's answers, or the
latest evaluation run when you have not asked anything yet) and the prices below. RAG pays for
its retrieved context on every question; the LoRA adapter pays once, for training, and then asks
with short prompts. The plot shows where the one-off cost is paid back."""


def build_cost_tab(turns: gr.State, pipelines: Sequence[Pipeline], config: Config) -> list[Any]:
    """The tab; returns (inputs, handler, outputs) parts the app refreshes when the tab opens."""
    titles = {p.name: p.title for p in pipelines}
    with gr.Tab("Costs") as tab:
        gr.Markdown(INTRO)
        preset, price_in, price_out, hourly, questions = _price_inputs(config)
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

    def update(
        turn_list: list[Turn], p_in: float, p_out: float, rate: float, n: float
    ) -> list[Any]:
        usage, origin = _usage(turn_list, config)
        return _figures(
            usage, origin, titles, config, p_in or 0, p_out or 0, rate or 0, int(n or 10)
        )

    inputs = [turns, price_in, price_out, hourly, questions]
    preset.change(pick, preset, [price_in, price_out])
    for field in (price_in, price_out, hourly, questions):
        field.change(update, inputs, [summary, plot])
    tab.select(update, inputs, [summary, plot])
    return [update, inputs, [summary, plot]]


def _price_inputs(config: Config) -> tuple[gr.Dropdown, gr.Number, gr.Number, gr.Number, gr.Number]:
    """The preset, the token prices, the training machine's price and the plot's length."""
    money = config.currency
    with gr.Row():
        preset = gr.Dropdown(
            list(PRESETS), value=next(iter(PRESETS)), label="Price preset", elem_id="cost-preset"
        )
        price_in = _price(config.price_input_per_m, f"Input, {money} per 1M tokens", "cost-in")
        price_out = _price(config.price_output_per_m, f"Output, {money} per 1M tokens", "cost-out")
    with gr.Row():
        hourly = _price(
            config.price_train_per_hour, f"Training machine, {money} per hour", "cost-hourly"
        )
        questions = gr.Number(
            10_000, precision=0, minimum=10, label="Questions to plot", elem_id="cost-questions"
        )
    return preset, price_in, price_out, hourly, questions


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
    price_in: float,
    price_out: float,
    rate: float,
    questions: int,
) -> list[Any]:
    """[the summary's Markdown, the plot's points] at these prices."""
    if not usage:
        return [
            "*No measured answers yet: ask a question in the Chat tab (or run an evaluation), "
            "then come back.*",
            None,
        ]
    money = config.currency
    per_answer = {name: u.cost(price_in, price_out) for name, u in usage.items()}
    lora_run, full_run = read_run(config.adapter), read_run(config.retrained_path)
    one_off = {
        name: training_cost(lora_run.get("wall_s"), rate) for name in usage if "lora" in name
    }
    if "retrained" in usage:
        one_off["retrained"] = training_cost(full_run.get("wall_s"), rate)
    lines = [
        _table(usage, per_answer, one_off, titles, money),
        f"Token counts: means over {origin} (from the tokenizer).",
    ]
    if (extra := context_overhead(usage)) is not None:
        lines.append(
            f"**RAG context overhead:** {extra:.0f} prompt tokens per question "
            f"({format_cost(price(extra, 0, price_in, 0) * 1000, money)} per 1,000 questions)."
        )
    lines += _training_lines(lora_run, full_run, rate, money)
    n = None
    if "rag" in per_answer and "lora" in per_answer:
        n = break_even(per_answer, one_off, "lora", "rag")
        lines.append(_verdict(n))
    return ["\n\n".join(lines), pd.DataFrame(_points(per_answer, one_off, titles, questions, n))]


def _table(
    usage: dict[str, Usage],
    per_answer: dict[str, float],
    one_off: dict[str, float],
    titles: dict[str, str],
    money: str,
) -> str:
    rows = [
        "| column | prompt tokens | completion tokens | per answer | per 1,000 | one-off |",
        "|---|---|---|---|---|---|",
    ]
    for name, u in usage.items():
        rows.append(
            f"| {titles.get(name, name)} | {u.prompt_tokens:.0f} | {u.completion_tokens:.0f} | "
            f"{format_cost(per_answer[name], money)} | "
            f"{format_cost(per_answer[name] * 1000, money)} | "
            f"{format_cost(one_off.get(name, 0.0), money)} |"
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


def _points(
    per_answer: dict[str, float],
    one_off: dict[str, float],
    titles: dict[str, str],
    questions: int,
    n: float | None,
) -> list[dict[str, Any]]:
    """Total cost per approach, with a vertical line at the break-even point `n`."""
    points = curve(per_answer, one_off, titles, questions)
    if n is not None and 0 < n <= questions:
        top = max(p["total cost"] for p in points)
        points += [
            {"questions": round(n), "total cost": y, "approach": "break-even"} for y in (0, top)
        ]
    return points


def _verdict(n: float | None) -> str:
    if n is None:
        return "**Break-even:** never — at these prices the LoRA column is not cheaper per answer."
    if n == 0:
        return "**Break-even:** from the first question."
    return f"**Break-even:** LoRA costs less in total than RAG from question **{n:,.0f}** on."
