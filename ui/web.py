"""What the web server adds to Gradio's: links to the documents by their own path, the pages of
shared comparisons, and with APP_AUTH a gate that keeps everything but the login page closed
until login, with a back-off after failed logins. `launch_options` gives `demo.launch` all of
it, for the app and the tests.

Gradio protects most of its routes behind the login, but not all (`/gradio_api/cancel`,
`/reset`, `/runs`, FastAPI's `/openapi.json`), and its login page embeds the whole API
description; it never slows down password guessing. No maintained middleware does this for
Gradio's own login, so it is written here (plain ASGI, so that streams pass through untouched).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from arena.store import VoteStore
from common.config import Config
from common.validation import auth_pairs
from documents.pages import page_numbers
from evaluation.outputs import RUNS
from ui.document_page import HEADERS, document_html
from ui.render import DOCUMENTS_ROUTE
from ui.share_page import SHARE_ROUTE, share_endpoint
from ui.votes_panel import EXPORTS

log = logging.getLogger(__name__)

Locate = Callable[[str], Any]  # a document path -> its file (pathlib.Path) or None
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# What the login page itself needs before a login: the page, its scripts, styles and icons.
_OPEN = {"/", "/login", "/login/", "/logout", "/favicon.ico", "/robots.txt", "/manifest.json"}
_OPEN.add("/gradio_api/startup-events")  # launch() calls it itself; it runs start-up once
_OPEN_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon", "/theme.css")
_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)
_NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};'
_NO_API_INFO += b"</script>"


def launch_options(
    config: Config, locate: Locate, store: VoteStore | None = None
) -> dict[str, Any]:
    """Everything `demo.launch` needs besides host and port; with the app's vote `store`, the
    shared comparisons' pages too (behind the login like every other route)."""
    middleware = [Middleware(LoginGate)] if config.auth else []
    routes = [Route(DOCUMENTS_ROUTE + "{path:path}", _document_route(locate))]
    if store is not None:
        # `path`: any id, even one with slashes, gets the share page's own 404
        routes.append(
            Route(SHARE_ROUTE + "{share_id:path}", share_endpoint(store), methods=["GET"])
        )
    return {
        # Files the page offers for download: exports and evaluation results. Not the data
        # folder itself (votes, index, models); documents go through the documents route.
        "allowed_paths": [str(config.data_path / d) for d in (EXPORTS, RUNS)],
        "max_file_size": config.max_upload_bytes,  # bytes: Gradio parses "0.5mb" wrongly
        "auth": auth_pairs(config.auth) or None,  # APP_AUTH: a login page before everything
        "show_error": False,  # a handler's exception shows "Error"; its traceback goes to the log
        "app_kwargs": {
            "routes": routes,
            "middleware": middleware,
        },
    }


def _document_route(locate: Locate) -> Callable[[Request], Awaitable[Response]]:
    async def document(request: Request) -> Response:
        path = locate(request.path_params["path"])
        if path is None:
            return PlainTextResponse("No such document.", status_code=404)
        text = path.read_text(encoding="utf-8", errors="replace")
        if page_numbers(text):  # a converted PDF: its pages, escaped, so links can name one
            return HTMLResponse(document_html(request.path_params["path"], text), headers=HEADERS)
        # Plain text, never rendered: an uploaded document may hold HTML or script.
        headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
        return PlainTextResponse(text, headers=headers)

    return document


class LoginGate:
    """With APP_AUTH: every request but the login page's own needs a login; the login page
    carries no API description; failed logins from one client, or for one user name, make
    the next attempt wait (429 with Retry-After)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.backoff = Backoff()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.rstrip("/") == "/login" and scope["method"] == "POST":
            return await self._login(scope, receive, send)
        if _logged_in(scope):
            return await self.app(scope, receive, send)
        if path in _OPEN or path.startswith(_OPEN_PREFIXES):
            if path == "/" and scope["method"] == "GET":
                return await self.app(scope, receive, _without_api_info(send))
            return await self.app(scope, receive, send)
        await _json(send, 401, {"detail": "Not authenticated: log in first."})

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        user = parse_qs(body.decode("utf-8", "replace")).get("username", [""])[0].strip()
        keys = [f"client:{_client(scope)}", f"user:{user}"]
        wait = max(self.backoff.wait(key) for key in keys)
        if wait > 0:
            log.info("login refused for %s: back-off, %.0f s left", keys[0], wait)
            message = f"Too many failed logins; try again in {wait:.0f} s."
            return await _json(send, 429, {"detail": message}, {"retry-after": f"{wait:.0f}"})
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, _replay(body), watch)
        for key in keys:
            self.backoff.record(key, failed=bool(status) and status[0] >= 400)
        if status and status[0] >= 400:
            log.info("failed login for %s", keys[0])


class Backoff:
    """Failed attempts per key: after FREE failures each next attempt waits twice as long as
    the one before (1 s, 2 s, 4 s ... up to LONGEST). A success, or QUIET seconds without a
    failure, clears the key."""

    FREE, LONGEST, QUIET, KEYS = 3, 60.0, 900.0, 10_000

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (count, last failure)
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds `key` must still wait before its next attempt (0: it may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
        if count < self.FREE or now - last > self.QUIET:
            return 0.0
        delay = min(2.0 ** (count - self.FREE), self.LONGEST)
        return max(0.0, last + delay - now)

    def record(self, key: str, failed: bool, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if not failed:
                self._failures.pop(key, None)
                return
            count, last = self._failures.get(key, (0, 0.0))
            count = 0 if now - last > self.QUIET else count
            self._failures[key] = (count + 1, now)
            if len(self._failures) > self.KEYS:  # many keys: forget the oldest half
                oldest = sorted(self._failures, key=lambda k: self._failures[k][1])
                for stale in oldest[: self.KEYS // 2]:
                    del self._failures[stale]


def _logged_in(scope: Scope) -> bool:
    """Whether the request carries a token from Gradio's own login."""
    app = scope.get("app")
    tokens, cookie_id = getattr(app, "tokens", {}), getattr(app, "cookie_id", "")
    cookies = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no login
                return False
    return any(
        (found := cookies.get(f"{prefix}{cookie_id}")) is not None and found.value in tokens
        for prefix in ("access-token-", "access-token-unsecure-")
    )


def _client(scope: Scope) -> str:
    """Who is logging in: behind a proxy (a Space) the address it appended last to
    X-Forwarded-For, which a client cannot forge; else the connection's address."""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            return value.decode("latin-1").split(",")[-1].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


def _without_api_info(send: Send) -> Send:
    """The login page as Gradio renders it, less the API description it embeds."""
    start: dict[str, Any] = {}
    body = bytearray()

    async def rewrite(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            return await send(message)
        body.extend(message.get("body", b""))
        if message.get("more_body"):
            return
        page = _API_INFO.sub(lambda _: _NO_API_INFO, bytes(body), count=1)
        headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        headers.append((b"content-length", str(len(page)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": page})

    return rewrite


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if not message.get("more_body") or len(body) > 65_536:  # a login form is tiny
            return bytes(body)


def _replay(body: bytes) -> Receive:
    sent = [False]

    async def receive() -> dict[str, Any]:
        if sent[0]:
            return {"type": "http.disconnect"}
        sent[0] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _json(send: Send, status: int, content: dict, headers: dict | None = None) -> None:
    body = json.dumps(content).encode()
    extra = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
