import pytest

from common.config import Config
from pipelines.core import Answer, price
from ui.render import format_cost


def cost(prompt_tokens: int, completion_tokens: int, config: Config) -> float:
    return price(
        prompt_tokens, completion_tokens, config.price_input_per_m, config.price_output_per_m
    )


def test_cost_uses_prices_per_million_tokens():
    config = Config(price_input_per_m=0.15, price_output_per_m=0.60)
    assert cost(1_000_000, 0, config) == pytest.approx(0.15)
    assert cost(0, 1_000_000, config) == pytest.approx(0.60)
    assert cost(581, 70, config) == pytest.approx((581 * 0.15 + 70 * 0.60) / 1e6)


def test_free_model_costs_nothing():
    assert cost(1234, 567, Config(price_input_per_m=0, price_output_per_m=0)) == 0


def test_format_cost_keeps_small_amounts_readable():
    assert format_cost(0.000129, "USD") == "0.000129 USD"
    assert format_cost(12.5, "EUR") == "12.50 EUR"
    assert format_cost(0, "USD") == "0 USD"


def test_tokens_per_second_counts_decode_time_after_the_first_token():
    answer = Answer(pipeline="x", completion_tokens=11, total_s=2.5, first_token_s=0.5)
    assert answer.tokens_per_s == pytest.approx(10 / 2.0)
    assert (
        Answer(pipeline="x", completion_tokens=1, total_s=1, first_token_s=1).tokens_per_s is None
    )
