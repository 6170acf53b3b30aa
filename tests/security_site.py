"""The app the security tests attack: the whole UI over fake columns, with the Documents tab on a
real index of a tiny corpus, beside a folder it must never read."""

from __future__ import annotations

from pathlib import Path

from common.config import Config
from tests.conftest import FakePipeline

SECRET = "The vault code is 4417-ALPHA."


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def make_site(root: Path) -> Path:
    """A folder tree: the app's corpus and data folder, a listed evaluation folder, and a
    folder outside anything the app may read, with a secret in it."""
    corpus = root / "corpus" / "legal"
    corpus.mkdir(parents=True)
    (corpus / "terms.md").write_text("# Terms\n\n## 8.2 Renewal\n\nNotice: 60 days.\n")
    (root / "listed").mkdir()
    (root / "listed" / "manual.md").write_text("# Manual\n\n## 1. Power\n\n12 V DC.\n")
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text(SECRET)
    return root


def build(site: Path, pipelines=None, asked: list | None = None, **settings):
    """The whole app (Documents tab on a real index of the tiny corpus) over fake columns;
    `asked` collects the folders the Evaluate tab asked pipelines for."""
    from app import build_app
    from pipelines.resources import Resources

    config = Config(
        corpus_dir=str(site / "corpus"),
        data_dir=str(site / "data"),
        eval_dirs=str(site / "listed"),
        **settings,
    )
    resources = Resources(config)
    columns = pipelines or [
        FakePipeline("base", "Base model", "Base says 120 days."),
        FakePipeline("rag", "RAG (retrieval)", "RAG says 60 days."),
    ]

    def make(folder: str | None):
        (asked if asked is not None else []).append(folder)
        return columns, None  # no evidence check: the fake answers are not under test here

    return build_app(columns, config, make, resources), config, resources


def connect(url: str, auth=None):
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False)
