"""Measure the performance goals side by side and print each as a ratio and as absolute numbers.

    python -m scripts.benchmark                 # everything, about 5 minutes on 2 cores
    python -m scripts.benchmark --skip-app 1    # without starting the app in a subprocess

Goals: three columns together in <= 1.3x the wall time of one answer of the same length; decode
speed per stream >= 0.7x llama.cpp's on the same weights; first token of all three columns
<= 1 s; retrieval p50 <= 20 ms at 10,000 chunks; start <= 15 s with a warm cache; peak memory
< 2 GB. Writes everything as JSON to --out (default: data folder/benchmarks/<time>.json).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from benchmarks.report import goals, table
from benchmarks.retrieval import app_start, retrieval_at_scale
from benchmarks.speed import agreement, llama_cpp_decode, stream_timed, together, wall
from common.config import REPO_ROOT, Config
from common.logs import setup
from evaluation.run import load_questions
from pipelines.generation import chat
from pipelines.rag import RagPipeline
from pipelines.resources import Resources
from pipelines.runner import run_all
from scripts.cli import parse_dataclass

log = logging.getLogger("benchmark")

COLUMNS = ("base", "rag", "lora")
TEST_SET = [REPO_ROOT / "data" / "qa" / "test.jsonl"]
SLA = "What is the monthly uptime commitment in Tessaline's SLA?"
LONG = "Write a detailed story about a lighthouse keeper and the storm that changed her life."


@dataclass
class BenchArgs:
    tokens: int = 64  # answer length for the speed goals (end-of-text ignored)
    questions: int = 9  # test questions for first-token times and greedy agreement
    chunks: int = 10_000  # index size for the retrieval goal
    engines: str = "transformers,llama.cpp"  # engines to measure side by side
    skip_app: int = 0  # 1 = do not start the app in a subprocess
    out: str = ""


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_dataclass(BenchArgs, __doc__.splitlines()[0], argv)
    config = Config.from_env()
    resources = Resources(config)
    index = resources.index()  # built here once, before the engines are measured
    results: dict[str, Any] = {
        "machine": machine(config),
        "args": asdict(args),
        "default_engine": config.resolved_engine,
        "engines": {},
    }
    # llama.cpp's own speed on the shipped file: the yardstick for every engine, measured once.
    gguf = config.model.endswith(".gguf")
    yardstick = (
        llama_cpp_decode(config.model, LONG, args.tokens, os.cpu_count() or 1) if gguf else None
    )
    for name in args.engines.split(","):
        # Each engine in a fresh process, as the app runs one: two runtimes' idle threads in
        # one process slowed the other engine by a quarter here.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            results["engines"][name] = pool.submit(measure_engine, name, args, yardstick).result()
    queries = [i["question"] for i in load_questions(TEST_SET)]
    results["retrieval"] = retrieval_at_scale(
        index, resources.embeddings(), queries[:60], args.chunks, config.top_k
    )
    if not args.skip_app:
        results["app"] = app_start({"APP_DATA_DIR": config.data_dir})
    results["goals"] = goals(results)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out or config.data_path / "benchmarks" / f"{stamp}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(table(results))  # noqa: T201 - the table is this command's output
    log.info("wrote %s", out)


def measure_engine(name: str, args: BenchArgs, yardstick: float | None) -> dict[str, Any]:
    """Goals 1, 2 and 3a for one engine, then its greedy agreement with the reference."""
    setup()
    log.info("measuring the %s engine", name)
    config = replace(Config.from_env(), engine=name)
    resources = Resources(config)
    resources.warm_up()
    items = load_questions(TEST_SET, limit=args.questions)
    result = {
        "label": resources.engine().label,
        "batching": batching(resources, args.tokens),
        "decode": decode(resources, args.tokens, yardstick),
        "first_token": first_tokens(resources, [i["question"] for i in items]),
    }
    reference = _float32_reference(config)
    result["agreement"] = greedy_agreement(resources, reference, items, args.tokens)
    return result


def _float32_reference(config: Config) -> Any:
    """transformers in float32 with PEFT: the reference for greedy answers."""
    from serving.local_engine import load_engine
    from serving.model import load_model

    model, tokenizer = load_model(config, dtype="float32")
    return load_engine(model, tokenizer, config.adapter)


def machine(config: Config) -> dict[str, Any]:
    import torch

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "torch": torch.__version__,
        "model": Path(config.model).name,
    }


def three_prompts(resources: Resources, question: str = SLA) -> list[tuple[Any, bool]]:
    """The columns' real prompts for one question: base, RAG (retrieved context), LoRA."""
    engine = resources.engine()
    rag = RagPipeline(resources)
    hits, _ = rag.retrieve(question)
    return [
        (engine.prompt_ids(chat([], question)), False),
        (engine.prompt_ids(rag.messages(question, [], hits)), False),
        (engine.prompt_ids(chat([], question)), True),
    ]


def batching(resources: Resources, n: int) -> dict[str, Any]:
    """Goal 1: the three columns' answers (each n tokens) together vs one answer alone."""
    engine = resources.engine()
    prompts = three_prompts(resources)
    stream_timed(engine, prompts[0], 8)  # warm-up
    alone = []
    for prompt in prompts:
        engine.forget_prompts()  # each run reads its prompts whole, as a new question's are
        alone.append(stream_timed(engine, prompt, n))
    engine.forget_prompts()
    batched = together(engine, prompts, n)
    engine.forget_prompts()
    same_short = together(engine, [prompts[0], prompts[0], prompts[2]], n)
    one = alone[0].end - alone[0].start
    # The step costs bound the ratio from below for long answers: one row alone vs three rows
    # (two plain and one LoRA; timed on the last of the three short prompts to start).
    last = max(same_short, key=lambda t: t.first)
    return {
        "tokens": n,
        "prompt_tokens": [int(p[0].shape[-1]) for p in prompts],
        "alone_s": {c: t.end - t.start for c, t in zip(COLUMNS, alone, strict=True)},
        "one_after_another_s": sum(t.end - t.start for t in alone),
        "together_s": wall(batched),
        "together_short_prompts_s": wall(same_short),
        "ratio": wall(batched) / one,
        "ratio_vs_slowest_alone": wall(batched) / max(t.end - t.start for t in alone),
        "ratio_short_prompts": wall(same_short) / one,
        "first_token_together_s": [t.first - t.start for t in batched],
        "step_ms_one": _step_ms(alone[0]),
        "step_ms_three": _step_ms(last),
    }


def _step_ms(t: Any) -> float:
    """Milliseconds per token after the first."""
    return (t.end - t.first) / max(t.tokens - 1, 1) * 1000


def decode(resources: Resources, n: int, yardstick: float | None, runs: int = 3) -> dict[str, Any]:
    """Goal 2: one stream's decode speed (best of `runs`), this engine vs `yardstick`,
    llama.cpp's own API on the .gguf file as shipped (None: not measured)."""
    engine = resources.engine()
    ids = engine.prompt_ids(chat([], LONG))
    base = max(stream_timed(engine, (ids, False), n).decode_tok_s for _ in range(runs))
    lora = max(stream_timed(engine, (ids, True), n).decode_tok_s for _ in range(runs))
    result: dict[str, Any] = {"engine_tok_s": base, "engine_lora_tok_s": lora}
    if yardstick:
        result["llama_cpp_tok_s"] = yardstick
        result["ratio"] = base / yardstick
    return result


def greedy_agreement(
    resources: Resources, reference: Any, items: list[dict], n: int
) -> dict[str, Any]:
    """This engine's batched answers (the three columns of each question at once) vs
    transformers' generate() in float32, one answer at a time: identical greedy answers (first
    n tokens), and how often each contains the gold answer."""
    engine = resources.engine()
    groups, golds = [], []
    for item in items:
        groups.append(three_prompts(resources, item["question"]))
        golds.append([item["answers"]] * 3)
    return {"tokens": n, **agreement(engine, reference, groups, golds, n)}


def first_tokens(resources: Resources, questions: list[str]) -> dict[str, Any]:
    """Goal 3a: seconds from submit to the first token of every column, in the app's runner;
    each question asked new, then as a follow-up in a conversation that asked the previous
    question first (that turn is then in every column's prompt)."""
    from pipelines.registry import build_pipelines, default_names

    pipelines = build_pipelines(resources, default_names())
    slowest, follow_ups, retrieval = [], [], []
    before: list[list[dict[str, str]]] = []
    for question in questions:
        first, answers, retrieved = _ask(pipelines, question, [[] for _ in pipelines])
        slowest.append(first)
        retrieval += retrieved
        if before:
            follow_ups.append(_ask(pipelines, question, before)[0])
        turn = [{"role": "user", "content": question}]
        before = [turn + [{"role": "assistant", "content": answer}] for answer in answers]
    return {
        "questions": len(questions),
        "p50_s": statistics.median(slowest),
        "max_s": max(slowest),
        "follow_up_p50_s": statistics.median(follow_ups) if follow_ups else float("nan"),
        "retrieval_p50_ms": statistics.median(retrieval) * 1000 if retrieval else float("nan"),
    }


def _ask(
    pipelines: list[Any], question: str, histories: list[list[dict[str, str]]]
) -> tuple[float, list[str], list[float]]:
    """One question to every column: the slowest first token (s), the answers, retrieval
    times."""
    firsts: dict[int, float] = {}
    answers: dict[int, str] = {}
    retrieval = []
    for update in run_all(pipelines, question, histories):
        answer = update.answer
        if answer and answer.done:
            firsts[update.index] = answer.first_token_s or float("nan")
            answers[update.index] = answer.text
            if answer.retrieval_s is not None:
                retrieval.append(answer.retrieval_s)
    return max(firsts.values()), [answers.get(i, "") for i in range(len(pipelines))], retrieval


if __name__ == "__main__":
    main()
