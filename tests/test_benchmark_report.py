"""The benchmark's verdict: each measured value against its goal, and the printed table."""

from benchmarks.report import goals, table


def _engine(ratio, decode, first):
    return {
        "label": "test engine",
        "batching": {
            "ratio": ratio,
            "ratio_vs_slowest_alone": 1.1,
            "ratio_short_prompts": 1.2,
            "tokens": 64,
            "prompt_tokens": [30, 600, 30],
            "alone_s": {"base": 1.0, "rag": 2.0, "lora": 1.5},
            "one_after_another_s": 4.5,
            "together_s": 2.2,
            "step_ms_one": 10.0,
            "step_ms_three": 25.0,
        },
        "decode": {"engine_tok_s": 50.0, "engine_lora_tok_s": 40.0, "ratio": decode},
        "first_token": {
            "p50_s": first,
            "max_s": first + 0.2,
            "follow_up_p50_s": first - 0.1,
            "retrieval_p50_ms": 15.0,
        },
        "agreement": {
            "tokens": 64,
            "answers": 9,
            "identical": 0.9,
            "contains_engine": 0.1,
            "contains_reference": 0.1,
        },
    }


RESULTS = {
    "machine": {"cpu": "CPU", "cores": 2, "memory_gib": 8, "torch": "2", "model": "m.gguf"},
    "default_engine": "fast",
    "engines": {"fast": _engine(1.3, 0.69, 0.7), "slow": _engine(1.31, None, 0.71)},
    "retrieval": {"chunks": 10000, "p50_ms": 20.0, "p95_ms": 25.0, "embed_p50_ms": 12.0},
    "app": {"ready_s": 15.0, "answered_s": 3.0, "peak_rss_mb": 2048.0},
}


def test_each_goal_is_met_only_on_the_right_side_of_its_target():
    verdict = {g["goal"]: g["met"] for g in goals(RESULTS)}
    assert verdict["fast: three answers together / one alone"] is True  # 1.3 <= 1.3
    assert verdict["slow: three answers together / one alone"] is False
    assert verdict["fast: decode speed / llama.cpp's"] is False  # 0.69 < 0.7
    assert verdict["slow: decode speed / llama.cpp's"] is None  # not measured
    assert verdict["fast: first token, all columns, p50 (s)"] is True
    assert verdict["slow: first token, all columns, p50 (s)"] is False
    assert verdict["retrieval p50 at 10000 chunks (ms)"] is True
    assert verdict["start to ready, warm cache (s)"] is True
    assert verdict["peak memory of the app (MB)"] is False  # must stay under 2 GB


def test_the_table_shows_every_goal_and_engine():
    text = table({**RESULTS, "goals": goals(RESULTS)})
    assert text.count("| **no** |") == 4  # slow ratio, fast decode, slow first token, memory
    assert "**fast** (test engine)" in text and "**slow** (test engine)" in text
    assert "peak memory 2048 MB" in text
    assert "10.0 ms for one row, 25.0 ms for three (2.50x" in text
    assert "as a follow-up question p50 0.60 s" in text
