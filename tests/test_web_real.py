"""The real app as a server, started as a user starts it: behind APP_AUTH's login, with upload
limits, errors kept out of the page, and four concurrent sessions all answered."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from benchmarks.apps import start_app, stop_app
from benchmarks.load import run_sessions, summarize
from benchmarks.results import TEST_SET
from common.config import REPO_ROOT
from evaluation.run import load_questions

pytestmark = pytest.mark.model

USER, PASSWORD = "tester", "s3cret:pw"


@pytest.fixture(scope="module")
def app(data_dir):
    """(url, log file) of app.py with a login and short answers."""
    log_path = data_dir / "serving-app.log"
    env = {
        "APP_DATA_DIR": str(data_dir),
        "APP_MAX_NEW_TOKENS": "48",
        "APP_AUTH": f"{USER}:{PASSWORD},other:pw",
    }
    process, url = start_app(env, log_path)
    yield url, log_path
    stop_app(process)


def _login(url: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}login", data={"username": USER, "password": password})


def test_the_page_and_the_api_need_a_login_and_the_right_password_opens_them(app):
    url, _ = app
    assert httpx.get(f"{url}config").status_code == 401
    page = httpx.get(url)
    assert '"auth_required":true' in page.text.replace(" ", "") and "Tessaline" not in page.text
    assert _login(url, "wrong").status_code == 400
    assert httpx.post(f"{url}gradio_api/upload", files={"files": ("a.md", b"# A")}).is_error
    granted = _login(url, PASSWORD)
    assert granted.status_code == 200 and granted.json() == {"success": True}
    with httpx.Client(cookies=granted.cookies) as session:
        assert session.get(f"{url}config").status_code == 200
        assert "Tessaline" in session.get(url).text  # the whole UI, examples included


def test_uploads_over_the_limit_are_refused_before_they_are_stored(app):
    url, _ = app
    cookies = _login(url, PASSWORD).cookies
    with httpx.Client(cookies=cookies) as session:
        small = session.post(f"{url}gradio_api/upload", files={"files": ("a.md", b"# A\n")})
        big = b"x" * (10 * 2**20 + 1)  # APP_MAX_UPLOAD_MB=10 by default
        large = session.post(f"{url}gradio_api/upload", files={"files": ("b.md", big)})
    assert small.status_code == 200 and large.status_code == 413


def test_a_refused_value_is_one_clear_sentence_and_one_log_line(app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, log_path = app
    client = Client(url, auth=(USER, PASSWORD), verbose=False)
    with pytest.raises(AppError) as error:  # a vote for a column that does not exist
        client.predict("no such column", api_name="/cast")
    assert str(error.value).startswith("Refused: Value: 'no such column'")
    assert "is not in the list of choices" in str(error.value)
    assert "Traceback" not in str(error.value)
    logged = log_path.read_text()
    assert "refused a value sent to cast" in logged and "Traceback" not in logged


def test_four_concurrent_sessions_are_all_answered(app):
    url, _ = app
    questions = [item["question"] for item in load_questions([TEST_SET], limit=4)]
    outcomes, wall_s = run_sessions(url, questions, 4, 1, seconds=240, auth=(USER, PASSWORD))
    report = summarize(outcomes, 4, wall_s)
    assert report["errors"] == {} and report["success_rate"] == 1.0, report


def test_the_documents_are_served_but_not_the_rest_of_the_data_folder(app, data_dir):
    url, _ = app
    sla = REPO_ROOT / "corpus" / "legal" / "service-level-agreement.md"
    with httpx.Client(cookies=_login(url, PASSWORD).cookies) as session:

        def status(path: Path) -> int:
            return session.get(f"{url}gradio_api/file={quote(str(path.resolve()))}").status_code

        # a source's "Open document" link: by the document's path in the index
        opened = session.get(f"{url}documents/legal/service-level-agreement.md")
        assert opened.status_code == 200 and opened.text == sla.read_text()
        for private in ("votes.sqlite", "index/current.json", "index/chroma.sqlite3"):
            assert (data_dir / private).is_file() and status(data_dir / private) == 403
        assert status(REPO_ROOT / "app.py") == 403 and status(sla) == 403


def test_a_conversation_is_exported_from_the_data_folder_it_may_serve(app):
    from gradio_client import Client

    url, _ = app
    client = Client(url, auth=(USER, PASSWORD), verbose=False)
    client.predict("What is the capital of France?", api_name="/answer_all")
    status, files = client.predict(api_name="/exporting")
    paths = [Path(f if isinstance(f, str) else f["path"]) for f in files["value"]]
    assert status == "Exported 1 question."
    assert sorted(p.suffix for p in paths) == [".csv", ".html", ".json"]
    assert "France" in next(p for p in paths if p.suffix == ".json").read_text()
