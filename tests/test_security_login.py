"""Behind APP_AUTH, replayed through HTTP and Chromium: before a login only the login page
answers (without the API description), and failed logins make the next attempt wait."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.security_site import build, make_site
from tests.ui_helpers import served

pytestmark = pytest.mark.browser  # serves the UI, like the browser tests

USER, PASSWORD = "ann", "pw-1:x"


@pytest.fixture(scope="module")
def login_app(tmp_path_factory):
    from ui.web import launch_options

    site = make_site(tmp_path_factory.mktemp("site"))
    demo, config, resources = build(site, auth=f"{USER}:{PASSWORD}")
    with served(demo, **launch_options(config, resources.documents.locate)) as url:
        yield url


CLOSED = [
    ("GET", "openapi.json"),
    ("GET", "gradio_api/openapi.json"),
    ("GET", "gradio_api/info"),
    ("GET", "gradio_api/runs"),
    ("POST", "gradio_api/cancel"),
    ("POST", "gradio_api/reset"),
    ("GET", "gradio_api/heartbeat/abc"),
    ("POST", "gradio_api/queue/join"),
    ("GET", "config"),
    ("GET", "documents/legal/terms.md"),
]


def test_before_login_only_the_login_page_answers_and_it_holds_no_api(login_app):
    page = httpx.get(login_app)
    assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
    assert "answer_all" not in page.text and "named_endpoints" in page.text
    for method, path in CLOSED:
        response = httpx.request(method, f"{login_app}{path}", json={})
        assert response.status_code == 401, (path, response.status_code)
    granted = httpx.post(f"{login_app}login", data={"username": USER, "password": PASSWORD})
    assert granted.status_code == 200
    with httpx.Client(cookies=granted.cookies) as session:
        assert "answer_all" in session.get(login_app).text  # the page, with the API, after it
        assert "60 days" in session.get(f"{login_app}documents/legal/terms.md").text
        assert session.get(f"{login_app}config").status_code == 200


def test_failed_logins_make_the_next_attempt_wait(login_app):
    def login(password: str, user: str = USER) -> httpx.Response:
        return httpx.post(f"{login_app}login", data={"username": user, "password": password})

    assert [login("wrong").status_code for _ in range(3)] == [400, 400, 400]
    held = login(PASSWORD)  # even the right password waits out the back-off
    assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
    assert "try again in" in held.json()["detail"]
    time.sleep(float(held.headers["retry-after"]) + 0.2)
    assert login(PASSWORD).status_code == 200


def test_the_backoff_doubles_then_forgets():
    from ui.web import Backoff

    backoff = Backoff()
    for second in range(5):
        backoff.record("k", failed=True, now=100.0 + second)
    assert backoff.wait("k", now=104.0) == 4.0  # five failures: 2 ** (5 - 3) s after the last
    assert backoff.wait("k", now=104.0 + Backoff.QUIET + 1) == 0.0
    backoff.record("k", failed=False)
    assert backoff.wait("k", now=104.0) == 0.0 and backoff.wait("other") == 0.0


def test_the_login_page_still_logs_in_in_chromium(login_app, page):
    page.goto(login_app)
    assert page.evaluate("Object.keys(window.gradio_api_info.named_endpoints).length") == 0
    page.get_by_label("username").fill(USER)
    page.get_by_label("password").fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    page.locator("#question").wait_for(timeout=20_000)  # the app, after the login
