"""Money from measured token counts and configured prices."""

from __future__ import annotations

from common.config import Config


def cost(prompt_tokens: int, completion_tokens: int, config: Config) -> float:
    """Cost of one answer at the configured prices per million input/output tokens."""
    return (
        prompt_tokens * config.price_input_per_m + completion_tokens * config.price_output_per_m
    ) / 1_000_000


def format_cost(amount: float, currency: str) -> str:
    """Small amounts stay readable: 0.000123 USD, not 0.00 USD."""
    if amount == 0:
        return f"0 {currency}"
    digits = 2 if amount >= 0.01 else 6
    return f"{amount:.{digits}f} {currency}"
