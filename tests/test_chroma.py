"""The index on a real Chroma server (`chroma run`, APP_CHROMA_URL), with the real embedder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.apps import free_port, stop_app
from common.config import Config
from common.errors import ConfigError, PipelineError
from documents.embeddings import LocalEmbeddings
from documents.index import open_index
from tests.test_index import DOCS

NOTICE = "How long is the notice period to end the lease?"


def _start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """`chroma run` on a free port, once its heartbeat answers (about 2 s)."""
    chroma = Path(sys.executable).with_name("chroma")
    executable = str(chroma) if chroma.exists() else shutil.which("chroma")
    assert executable, "the chroma command (installed with chromadb) is missing"
    port = free_port()
    log = (folder / "server.log").open("w")
    command = [executable, "run", "--path", str(folder / "db"), "--host", "127.0.0.1"]
    process = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_app(process)
    pytest.fail(f"chroma run did not answer: {(folder / 'server.log').read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    process, url = _start_server(tmp_path_factory.mktemp("chroma"))
    yield url
    stop_app(process)


@pytest.fixture(scope="module")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings(Config().embedder)


def _app(folder: Path, url: str) -> Config:
    """A tiny corpus and data folder of one app using the server at `url`."""
    corpus = folder / "corpus"
    for name, text in DOCS.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text)
    return Config(corpus_dir=str(corpus), data_dir=str(folder / "data"), chroma_url=url)


def _collections(url: str) -> set[str]:
    import chromadb

    host, port, ssl = Config(chroma_url=url).chroma_server
    return {c.name for c in chromadb.HttpClient(host=host, port=port, ssl=ssl).list_collections()}


def _manifest(config: Config) -> dict:
    return json.loads((config.data_path / "index" / "current.json").read_text())


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("", None),
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000, False)),
        ("http://chroma.internal/", ("chroma.internal", 8000, False)),
        ("https://vectors.example.com:8443", ("vectors.example.com", 8443, True)),
    ],
)
def test_chroma_url_gives_host_port_and_ssl(url, server):
    assert Config(chroma_url=url).chroma_server == server


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:8000",
        "ftp://127.0.0.1:8000",
        "http://",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "http://127.0.0.1:8000/api/v2",
        "http://user:secret@127.0.0.1:8000",
    ],
)
def test_an_invalid_chroma_url_names_the_variable(url):
    with pytest.raises(ConfigError, match="APP_CHROMA_URL") as error:
        Config.from_env({"APP_CHROMA_URL": url})
    assert "http://127.0.0.1:8000" in str(error.value)


def test_the_index_is_built_on_the_server_searched_and_reopened_without_embedding(
    server, embeddings, tmp_path
):
    config = _app(tmp_path, server)
    progress = []
    index = open_index(config, embeddings, lambda done, total: progress.append((done, total)))
    assert index.size == 4 and progress[-1] == (4, 4)
    hits = index.search(NOTICE, k=2)
    assert hits[0].document.metadata["document"] == "legal/lease.md"
    assert hits[0].document.metadata["section"] == "2. Notice"
    assert hits[0].score > hits[1].score
    name = _manifest(config)["collection"]
    assert name in _collections(server)
    assert not (config.data_path / "index" / "chroma.sqlite3").exists()  # nothing embedded here
    progress.clear()
    again = open_index(config, embeddings, lambda done, total: progress.append((done, total)))
    assert progress == [] and again.sync is None and again.size == 4
    assert again.search(NOTICE, k=1)[0].document.metadata["section"] == "2. Notice"


def test_an_edit_on_the_server_embeds_only_the_changed_document(server, embeddings, tmp_path):
    config = _app(tmp_path, server)
    first = open_index(config, embeddings)
    before = _manifest(config)["collection"]
    with open(f"{config.corpus_dir}/manual/pump.md", "a") as handle:
        handle.write("\n## 3. Noise\nThe pump is quieter than 55 dB(A).\n")
    progress = []
    second = open_index(config, embeddings, lambda done, total: progress.append((done, total)))
    assert second.sync.embedded == ("manual/pump.md",) and second.sync.reused == 1
    assert progress[-1] == (3, 3) and second.size == 5 and second.corpus_hash != first.corpus_hash
    assert second.search("How loud is the pump?", k=1)[0].document.metadata["section"] == (
        "3. Noise"
    )
    assert before not in _collections(server)  # the replaced collection is deleted


def test_two_data_folders_on_one_server_keep_their_own_collections(server, embeddings, tmp_path):
    import chromadb

    host, port, ssl = Config(chroma_url=server).chroma_server
    chromadb.HttpClient(host=host, port=port, ssl=ssl).get_or_create_collection("someone-else")
    one, two = _app(tmp_path / "one", server), _app(tmp_path / "two", server)
    open_index(one, embeddings)
    open_index(two, embeddings)  # the same documents, so the same corpus hash
    first, theirs = _manifest(one)["collection"], _manifest(two)["collection"]
    assert first != theirs and {first, theirs, "someone-else"} <= _collections(server)

    with open(f"{one.corpus_dir}/legal/lease.md", "a") as handle:
        handle.write("\n## 3. Rent\nRent is due on the 1st.\n")
    assert open_index(one, embeddings).size == 5  # a new collection; one's old one is deleted
    live = _collections(server)
    assert first not in live and {_manifest(one)["collection"], theirs, "someone-else"} <= live
    progress = []
    other = open_index(two, embeddings, lambda done, total: progress.append((done, total)))
    assert progress == [] and other.sync is None and other.size == 4
    assert other.search(NOTICE, k=1)[0].document.metadata["document"] == "legal/lease.md"


def test_the_embedded_index_keeps_its_collection_names(embeddings, tmp_path):
    config = _app(tmp_path, "")
    index = open_index(config, embeddings)
    assert _manifest(config)["collection"] == f"corpus-{index.corpus_hash[:24]}"  # as before
    assert not (config.data_path / "index" / "server-prefix").exists()


def test_an_unreachable_server_is_a_pipeline_error_naming_app_chroma_url(embeddings, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.perf_counter()
    with pytest.raises(PipelineError, match="APP_CHROMA_URL") as error:
        open_index(_app(tmp_path, url), embeddings)
    assert url in str(error.value) and time.perf_counter() - started < 10


def test_a_server_that_stops_makes_searches_a_pipeline_error(embeddings, tmp_path):
    process, url = _start_server(tmp_path)
    try:
        index = open_index(_app(tmp_path, url), embeddings)
        assert index.search(NOTICE, k=1)[0].document.metadata["section"] == "2. Notice"
    finally:
        stop_app(process)
    with pytest.raises(PipelineError, match="APP_CHROMA_URL") as error:
        index.search(NOTICE, k=1)
    assert url in str(error.value)
