"""A link to one comparison: the Share button stores a question with its answers, and GET
/share/<id> shows it as a standalone, read-only page (the exported conversation's HTML).

The page runs no script and loads nothing (its Content-Security-Policy says so). An id that the
store could not have made is answered like an unknown one, and never echoed back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr
from gradio import route_utils
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from arena.store import VoteStore
from ui.transcript import Turn, answer_record, page_html, turn_from_record, turn_html

SHARE_ROUTE = "/share/"  # the page's path; its id follows
HEADING = "Comparison: RAG vs fine-tuning"
MISSING = "This comparison does not exist (or was removed)."
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def share_record(
    turn: Turn, number: int, titles: Mapping[str, str], currency: str
) -> dict[str, Any]:
    """What a link shows of one question: its answers (with their columns' titles), the
    settings that produced them, this session's vote, its number and the costs' currency."""
    return {
        "question": turn.question,
        "asked_at": turn.asked_at,
        "answers": {name: answer_record(name, a, titles) for name, a in turn.answers.items()},
        "settings": turn.settings,
        "vote": turn.vote,
        "number": number,
        "currency": currency,
    }


def share_html(record: Mapping[str, Any]) -> str:
    """The standalone page of a shared comparison, rendered as the conversation export is."""
    turn, titles = turn_from_record(record)
    currency = str(record.get("currency") or "")
    body = turn_html(int(record.get("number") or 1), turn, titles, currency)
    return page_html(HEADING, f"A shared comparison · costs in {currency}", body)


def share_link(share_id: str, request: gr.Request | None) -> str:
    """The link to a shared comparison on the page's own origin (a proxy's forwarded host and
    scheme included); a relative link when the request is unknown (a direct call)."""
    underlying = getattr(request, "request", None)
    if underlying is None:
        return f"{SHARE_ROUTE}{share_id}"
    root = route_utils.get_root_url(
        underlying, underlying.url.path, underlying.scope.get("root_path") or None
    )
    return f"{root}{SHARE_ROUTE}{share_id}"


def share_endpoint(store: VoteStore) -> Callable[[Request], Response]:
    """The route's handler: the page, or 404 for an unknown or malformed id. A plain function:
    Starlette runs it in a worker thread, so SQLite does not hold up the event loop."""

    def shared(request: Request) -> Response:
        record = store.shared(request.path_params["share_id"])
        if record is None:
            page = page_html(HEADING, "", f'<p class="empty">{MISSING}</p>')
            return HTMLResponse(page, status_code=404, headers=HEADERS)
        return HTMLResponse(share_html(record), headers=HEADERS)

    return shared
