"""The benchmark: every performance goal measured on this machine (the engines side by side,
retrieval at scale, the app's start) and the results written as JSON."""

from __future__ import annotations

import logging
import os
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.apps import measure_app_start
from benchmarks.engines import LONG, measure_engine
from benchmarks.machine import in_fresh_process, machine
from benchmarks.report import goals
from benchmarks.results import TEST_SET, write_json
from benchmarks.retrieval import retrieval_at_scale
from benchmarks.speed import llama_cpp_decode
from common.config import Config
from common.files import time_stamp
from evaluation.run import load_questions
from pipelines.resources import Resources

log = logging.getLogger(__name__)
RETRIEVAL_QUERIES = 60  # test questions timed on the large index


@dataclass
class BenchArgs:
    tokens: int = 64  # answer length for the speed goals (end-of-text ignored)
    questions: int = 9  # test questions for first-token times and greedy agreement
    chunks: int = 10_000  # index size for the retrieval goal
    engines: str = "transformers,llama.cpp"  # engines to measure side by side, comma-separated
    skip_app: int = 0  # 1 = do not start the app in a subprocess
    # JSON file for the results; empty = the data folder's benchmarks/<time>.json
    out: str = ""


def run_benchmark(args: BenchArgs) -> tuple[dict[str, Any], Path]:
    """Every goal measured, its verdict added; the results and the JSON file written."""
    config = Config.from_env()
    resources = Resources(config)
    index = resources.index()  # built here once, before the engines are measured
    results: dict[str, Any] = {
        "machine": machine(config),
        "args": asdict(args),
        "default_engine": config.resolved_engine,
        "engines": {},
    }
    yardstick, yardstick_file = _llama_cpp_speed(config, args.tokens)
    for name in args.engines.split(","):
        # Each engine in a fresh process, as the app runs one: two runtimes' idle threads in
        # one process slowed the other engine by a quarter here.
        results["engines"][name] = in_fresh_process(
            measure_engine, name, args.tokens, args.questions, yardstick
        )
        if yardstick:
            results["engines"][name]["decode"]["llama_cpp_file"] = yardstick_file
    queries = [i["question"] for i in load_questions([TEST_SET])]
    results["retrieval"] = retrieval_at_scale(
        index, resources.embeddings(), queries[:RETRIEVAL_QUERIES], args.chunks, config.top_k
    )
    if not args.skip_app:
        results["app"] = measure_app_start({"APP_DATA_DIR": config.data_dir})
    results["goals"] = goals(results)
    out = write_json(results, args.out, config.data_path / "benchmarks" / f"{time_stamp()}.json")
    return results, out


def _llama_cpp_speed(config: Config, tokens: int) -> tuple[float | None, str]:
    """llama.cpp's own decode speed on the shipped file: the yardstick for every engine,
    measured once; and the file it was measured on. (None, "": the model is no .gguf file, or
    llama.cpp is not installed.) Where llama.cpp's own API crashes on the shipped file
    (llama-cpp-python 0.3.36 on the Q4_1 file), the re-encoding the app serves stands in."""
    if not config.model.endswith(".gguf"):
        return None, ""
    threads = os.cpu_count() or 1
    try:
        return llama_cpp_decode(config.model, LONG, tokens, threads), Path(config.model).name
    except BrokenProcessPool:
        from serving.llama_engine import served_gguf

        served = served_gguf(config, Path(config.model))
        log.warning("llama.cpp's own API crashed on %s; measuring %s", config.model, served.name)
        return llama_cpp_decode(str(served), LONG, tokens, threads), served.name
