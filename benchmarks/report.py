"""The benchmark's verdict: each goal against its target, and the table it prints."""

from __future__ import annotations

from typing import Any


def goals(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, e in r["engines"].items():
        rows += [
            (f"{name}: three answers together / one alone", e["batching"]["ratio"], 1.3, "<="),
            (f"{name}: decode speed / llama.cpp's", e["decode"].get("ratio"), 0.7, ">="),
            (f"{name}: first token, all columns, p50 (s)", e["first_token"]["p50_s"], 0.7, "<="),
        ]
    rows.append(
        (
            f"retrieval p50 at {r['retrieval']['chunks']} chunks (ms)",
            r["retrieval"]["p50_ms"],
            20,
            "<=",
        )
    )
    if "app" in r:
        rows.append(("start to ready, warm cache (s)", r["app"]["ready_s"], 15, "<="))
        rows.append(("peak memory of the app (MB)", r["app"]["peak_rss_mb"], 2048, "<"))
    out = []
    for name, value, target, sense in rows:
        met = None if value is None else _COMPARE[sense](value, target)
        out.append({"goal": name, "measured": value, "target": f"{sense} {target}", "met": met})
    return out


_COMPARE = {
    "<=": lambda value, target: value <= target,
    ">=": lambda value, target: value >= target,
    "<": lambda value, target: value < target,
}


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; torch {m['torch']}; "
        f"model {m['model']}; default engine {r['default_engine']}",
        "",
        "| goal | target | measured | met |",
        "|---|---|---|---|",
    ]
    for g in r["goals"]:
        value = "–" if g["measured"] is None else f"{g['measured']:.2f}"
        met = {True: "yes", False: "**no**", None: "–"}[g["met"]]
        lines.append(f"| {g['goal']} | {g['target']} | {value} | {met} |")
    lines += ["", *[_engine_lines(name, e) for name, e in r["engines"].items()]]
    ret = r["retrieval"]
    lines.append(
        f"Retrieval at {ret['chunks']} chunks: p50 {ret['p50_ms']:.1f} ms, p95 "
        f"{ret['p95_ms']:.1f} ms, of which query embedding p50 {ret['embed_p50_ms']:.1f} ms."
    )
    if "app" in r:
        app = r["app"]
        lines.append(
            f"App: ready {app['ready_s']:.1f} s after start (warm cache), first question "
            f"answered in {app['answered_s']:.1f} s, peak memory {app['peak_rss_mb']:.0f} MB."
        )
    return "\n".join(lines)


def _engine_lines(name: str, e: dict[str, Any]) -> str:
    b, d, a, f = e["batching"], e["decode"], e["agreement"], e["first_token"]
    alone = ", ".join(f"{c} {t:.2f} s" for c, t in b["alone_s"].items())
    return (
        f"**{name}** ({e['label']}). Three answers of {b['tokens']} tokens each (prompts "
        f"{b['prompt_tokens']} tokens): alone {alone}; one after another "
        f"{b['one_after_another_s']:.2f} s; together {b['together_s']:.2f} s = "
        f"{b['ratio']:.2f}x the base answer alone, {b['ratio_vs_slowest_alone']:.2f}x the "
        f"slowest alone; three short prompts together {b['ratio_short_prompts']:.2f}x. "
        f"{_steps(b)}"
        f"Decode, one stream: base {d['engine_tok_s']:.1f} tok/s, LoRA "
        f"{d['engine_lora_tok_s']:.1f} tok/s (llama.cpp's own API on "
        f"{d.get('llama_cpp_file', 'the shipped file')}: "
        f"{d.get('llama_cpp_tok_s', float('nan')):.1f} tok/s). First token of all three "
        f"columns: p50 {f['p50_s']:.2f} s, max {f['max_s']:.2f} s; as a follow-up question "
        f"p50 {f.get('follow_up_p50_s', float('nan')):.2f} s (retrieval in the app p50 "
        f"{f['retrieval_p50_ms']:.0f} ms). Greedy answers ({a['tokens']} tokens) vs float32 "
        f"generate() one at a time: {a['identical']:.0%} of {a['answers']} identical; gold "
        f"answer found {a['contains_engine']:.0%} vs {a['contains_reference']:.0%}.\n"
    )


def _steps(b: dict[str, Any]) -> str:
    """The decode step's cost with three rows against one: the least the ratio can reach."""
    if "step_ms_one" not in b:
        return ""
    return (
        f"A decode step: {b['step_ms_one']:.1f} ms for one row, {b['step_ms_three']:.1f} ms for "
        f"three ({b['step_ms_three'] / b['step_ms_one']:.2f}x, the floor of the ratio for long "
        "answers). "
    )
