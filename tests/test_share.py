"""A shared comparison's page, GET /share/<id>: what it shows, what it refuses, that it outlives a
restart of the app, and that APP_AUTH's login closes it like every other route."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from arena.store import VoteStore
from common.config import Config
from pipelines.core import Answer, Source
from ui.share_page import MISSING, share_link, share_record
from ui.transcript import Turn, turn_from_record, turn_html
from ui.web import launch_options

TITLES = {"base": "Base model", "rag": "RAG (retrieval)", "lora": "LoRA <fine-tuned>"}
SLA = Source("legal/sla.md", "3.1", "Uptime is 99.9 % per month.", score=0.8123, rank=1)
WEIGHTS = Source("", "", "Answer from the model's weights only.")
QUESTION = "What is the <b>uptime</b> & the notice?"
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _turn() -> Turn:
    rag = Answer(
        "rag",
        "Uptime: 99.9 %. <script>alert('x')</script>",
        (SLA,),
        prompt_tokens=581,
        completion_tokens=11,
        total_s=2.5,
        first_token_s=0.5,
        last_token_s=2.0,
        retrieval_s=0.0123,
        cost=0.000129,
        done=True,
    )
    base = Answer("base", "I am not sure.", (WEIGHTS,), 40, 1, 0.25, done=True)
    lora = Answer("lora", "99.5 % (cut)", (), 42, 7, 1.0, 0.25, done=True, cut_at=7)
    settings = {"model": "SmolLM2", "top_k": 4}
    answers = {"base": base, "rag": rag, "lora": lora}
    return Turn(QUESTION, "2025-01-02T03:04:05+00:00", answers, vote="rag", settings=settings)


@pytest.fixture
def store(tmp_path: Path):
    votes = VoteStore(tmp_path / "votes.sqlite")
    yield votes
    votes.close()


def _client(store: VoteStore | None, tmp_path: Path) -> TestClient:
    """The routes that launch_options gives the app, served alone."""
    config = Config(data_dir=str(tmp_path / "data"))
    routes = launch_options(config, lambda _: None, store)["app_kwargs"]["routes"]
    return TestClient(Starlette(routes=routes))


def test_the_page_shows_the_question_every_answer_and_its_sources(store, tmp_path):
    share_id = store.share(share_record(_turn(), 2, TITLES, "USD"))
    response = _client(store, tmp_path).get(f"/share/{share_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CSP
    page = response.text
    assert (
        "Question 2" in page and "What is the &lt;b&gt;uptime&lt;/b&gt; &amp; the notice?" in page
    )
    for title in ("Base model", "RAG (retrieval)", "LoRA &lt;fine-tuned&gt;"):
        assert f'<h3 dir="auto">{title}</h3>' in page
    assert "I am not sure." in page and "Answer from the model&#x27;s weights only." in page
    assert "[1] legal/sla.md §3.1 (0.812)" in page and "Uptime is 99.9 % per month." in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # escaped, never run
    assert "<script" not in page and "<b>uptime" not in page
    assert "Vote: <b>RAG (retrieval)</b>" in page and "0.000129 USD" in page
    assert "6.7 tok/s" in page  # as measured: 10 tokens after the first in 1.5 s


def test_the_page_renders_a_record_exactly_as_the_conversation_export_does():
    turn = _turn()
    rebuilt, titles = turn_from_record(share_record(turn, 3, TITLES, "USD"))
    assert titles == TITLES
    assert rebuilt.settings == turn.settings and rebuilt.vote == "rag"
    assert turn_html(3, rebuilt, titles, "USD") == turn_html(3, turn, TITLES, "USD")


@pytest.mark.parametrize(
    "share_id",
    [
        quote("../../etc/passwd", safe=""),
        quote("' OR 1=1 --", safe=""),
        "AAAAAAAAAAAA",  # the right shape, 12 characters, but never made
        "x" * 300,
        quote("<script>alert(1)</script>", safe=""),
        "",
    ],
)
def test_an_unknown_or_malformed_id_is_a_clear_404_that_does_not_echo_it(store, tmp_path, share_id):
    store.share(share_record(_turn(), 1, TITLES, "USD"))
    response = _client(store, tmp_path).get(f"/share/{share_id}")
    assert response.status_code == 404
    assert MISSING in response.text and "Traceback" not in response.text
    assert response.headers["content-security-policy"] == CSP
    if share_id:
        assert share_id not in response.text and "<script>alert" not in response.text
        assert "passwd" not in response.text and "OR 1=1" not in response.text


def test_a_shared_link_outlives_a_restart_of_the_app(tmp_path):
    first = VoteStore(tmp_path / "votes.sqlite")
    share_id = first.share(share_record(_turn(), 1, TITLES, "USD"))
    before = _client(first, tmp_path).get(f"/share/{share_id}").text
    first.close()
    again = VoteStore(tmp_path / "votes.sqlite")
    try:
        after = _client(again, tmp_path).get(f"/share/{share_id}")
    finally:
        again.close()
    assert after.status_code == 200 and after.text == before and "I am not sure." in after.text


def test_without_a_store_there_is_no_share_route(tmp_path):
    response = _client(None, tmp_path).get("/share/AAAAAAAAAAAA")
    assert response.status_code == 404 and MISSING not in response.text


def test_the_link_is_on_the_pages_own_origin():
    import gradio as gr

    def request(*headers: tuple[bytes, bytes]) -> gr.Request:
        scope = {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "server": ("127.0.0.1", 7860),
            "path": "/gradio_api/queue/join",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:7860"), *headers],
        }
        return gr.Request(request=Request(scope))

    assert share_link("abc", None) == "/share/abc"
    assert share_link("abc", request()) == "http://127.0.0.1:7860/share/abc"
    proxied = request((b"x-forwarded-host", b"demo.hf.space"), (b"x-forwarded-proto", b"https"))
    assert share_link("abc", proxied) == "https://demo.hf.space/share/abc"


def test_behind_app_auth_a_shared_page_needs_a_login(store, tmp_path):
    import gradio as gr

    from tests.ui_helpers import served

    share_id = store.share(share_record(_turn(), 1, TITLES, "USD"))
    config = Config(data_dir=str(tmp_path / "data"), auth="ann:pw-1")
    with gr.Blocks() as demo:
        gr.Markdown("a page")
    with served(demo, **launch_options(config, lambda _: None, store)) as url:
        assert httpx.get(f"{url}share/{share_id}").status_code == 401
        assert httpx.get(f"{url}share/AAAAAAAAAAAA").status_code == 401  # no probing either
        granted = httpx.post(f"{url}login", data={"username": "ann", "password": "pw-1"})
        assert granted.status_code == 200
        with httpx.Client(cookies=granted.cookies) as session:
            page = session.get(f"{url}share/{share_id}")
    assert page.status_code == 200 and "RAG (retrieval)" in page.text
