"""Fixtures: fake pipelines to isolate the UI, and the real small model and index, built once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from common.config import REPO_ROOT, Config
from common.errors import PipelineError
from common.messages import Message
from pipelines.core import Answer, Source, last


class FakePipeline:
    """Streams a canned answer word by word, with made-up but well-formed measurements."""

    def __init__(
        self,
        name: str,
        title: str,
        reply: str,
        *,
        fail: str | None = None,
        optional=False,
        delay: float = 0.01,
    ) -> None:
        self.name, self.title, self.reply, self.fail = name, title, reply, fail
        self.optional, self.delay = optional, delay

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]:
        if self.fail == "pipeline":
            raise PipelineError(f"{self.title} is switched off for this test")
        if self.fail == "bug":
            raise ZeroDivisionError("a bug")
        words = f"{self.reply} (turn {len(history) // 2 + 1})".split()
        source = Source(
            document="legal/terms.md",
            section="8.2 Renewal",
            text="Notice 60 days.",
            score=0.81,
            rank=1,
        )
        answer = Answer(
            pipeline=self.name,
            sources=(source,),
            prompt_tokens=100 + len(question),
            retrieval_s=0.012,
        )
        for count in range(1, len(words) + 1):
            time.sleep(self.delay)
            answer = replace(
                answer,
                text=" ".join(words[:count]),
                completion_tokens=count,
                total_s=0.05 * count,
                first_token_s=0.05,
                cost=1e-5 * count,
            )
            yield answer
        yield replace(answer, done=True)

    def answer(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return last(self.stream(question, history))


@pytest.fixture
def fake_pipelines() -> list[FakePipeline]:
    return [
        FakePipeline("base", "Base model", "Base says 120 days."),
        FakePipeline("rag", "RAG (retrieval)", "RAG says 60 days."),
        FakePipeline("lora", "LoRA fine-tuned", "LoRA says 60 days."),
    ]


@pytest.fixture
def fake_config(tmp_path: Path) -> Config:
    """Default settings with a private data folder (votes, exports) for UI tests with fakes."""
    return Config(data_dir=str(tmp_path / "data"))


def made_up_corpus(root: Path, docs: dict[str, str], config: Config) -> Config:
    """`config` over made-up documents written to `root`/corpus, with `root`/data of its own."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return replace(config, corpus_dir=str(corpus), data_dir=str(root / "data"))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("appdata")


@pytest.fixture(scope="session")
def real_config(data_dir: Path) -> Config:
    """The default configuration, with a private data folder and short answers for speed."""
    return Config(data_dir=str(data_dir), max_new_tokens=48)


@pytest.fixture(scope="session")
def resources(real_config: Config):
    from pipelines.resources import Resources

    res = Resources(real_config)
    res.warm_up()
    return res


@pytest.fixture(scope="session")
def adapter_dir() -> Path:
    path = REPO_ROOT / "adapters" / "smollm2-corpus-lora"
    assert (path / "adapter_model.safetensors").is_file(), "the default adapter is not committed"
    return path


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
