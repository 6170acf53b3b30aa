"""The page the open-document link shows for a converted PDF: its text, page by page, each page
headed "Page 12" with an anchor, so that a source's link ("Open report.pdf.md at p. 12") lands on
the page the passage is on (issue #23, point 6). Other documents are served as plain text.

The text is escaped and the page runs no script and loads nothing (its Content-Security-Policy
says so): an uploaded document may hold HTML or script.
"""

from __future__ import annotations

import html

from documents.pages import page_anchor, split_pages
from ui.share_page import HEADERS  # no script, nothing loaded: as a shared comparison

__all__ = ["HEADERS", "document_html"]

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem}"
    "pre{white-space:pre-wrap;font:inherit}h2{font-size:.9rem;color:#555;border-top:1px solid"
    " #ccc;padding-top:.5rem;margin-top:2rem}h2:target{color:#b45309}"
)


def document_html(document: str, text: str) -> str:
    """The page of `document` (its path in the index) whose stored text is `text`."""
    parts = []
    for number, body in split_pages(text):
        if number is not None:
            anchor = page_anchor(number)
            parts.append(f'<h2 id="{anchor}"><a href="#{anchor}">Page {number}</a></h2>')
        parts.append(f'<pre dir="auto">{html.escape(body.strip())}</pre>')
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(document)}'
        f"</title><style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
