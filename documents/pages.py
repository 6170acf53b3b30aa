"""Page numbers of documents converted from PDF (issue #23, point 6).

`read_pdf` starts the text of each page with a mark line, `<!-- page 12 -->` (an HTML comment: a
Markdown viewer shows nothing, and editing a section keeps it). `split` takes the marks out of
every chunk and records the pages the chunk's text spans, so that sources and evidence marks say
"p. 12" and the open-document link goes to that page. A document without marks has no pages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_MARK = re.compile(r"^<!-- page (\d+) -->[ \t]*(?:\n|$)", re.M)


def page_mark(number: int) -> str:
    """The line that starts page `number` in a converted PDF."""
    return f"<!-- page {number} -->"


def page_numbers(text: str) -> list[int]:
    """The numbers of the pages marked in `text`, in order."""
    return [int(found.group(1)) for found in _MARK.finditer(text)]


def page_label(first: int | None, last: int | None = None) -> str:
    """ "p. 12", "pp. 12–13", or "" without a page."""
    if first is None:
        return ""
    return f"pp. {first}–{last}" if last is not None and last > first else f"p. {first}"


def page_anchor(number: int) -> str:
    """The id of page `number` on the document's page (ui/document_page.py)."""
    return f"page-{number}"


@dataclass(frozen=True)
class Paged:
    """A chunk's text without its marks, and the pages it is on."""

    text: str
    first: int | None  # the page its text starts on (None: the document has no marks)
    last: int | None  # the page its text ends on
    breaks: tuple[tuple[int, int], ...] = ()  # (offset in `text`, page) where a page starts

    def metadata(self) -> dict[str, int | str]:
        """The chunk's page fields (Chroma takes scalars only): page, last_page and, where a
        page starts inside it, page_breaks ("57:3,210:4"); nothing without pages."""
        if self.first is None:
            return {}
        fields: dict[str, int | str] = {"page": self.first, "last_page": self.last or self.first}
        if self.breaks:
            fields["page_breaks"] = ",".join(f"{at}:{page}" for at, page in self.breaks)
        return fields


def page_at(metadata: Mapping[str, object], offset: int) -> int | None:
    """The page of the character at `offset` in a chunk's text, from its metadata."""
    page = metadata.get("page")
    for item in str(metadata.get("page_breaks") or "").split(","):
        at, _, number = item.partition(":")
        if number and offset >= int(at):
            page = int(number)
    return page if isinstance(page, int) else None


@dataclass
class PageTracker:
    """Follows the pages through one document's chunks, given in document order (overlapping
    or not): `paged(raw)` is a chunk's text without marks and the pages it is on."""

    marked: list[int]  # page_numbers() of the whole document
    current: int | None = None  # the page in force after the chunks seen so far

    def paged(self, raw: str) -> Paged:
        pieces, breaks, start = [], [], self.current
        position = 0
        for found in _MARK.finditer(raw):
            pieces.append(raw[position : found.start()])
            breaks.append((sum(map(len, pieces)), int(found.group(1))))
            position = found.end()
        pieces.append(raw[position:])
        joined = "".join(pieces)
        text = joined.strip("\n")
        lead, end = len(joined) - len(joined.lstrip("\n")), len(text)
        if breaks:
            self.current = breaks[-1][1]
        # a mark at the very start gives the text its page; text before the first mark is on
        # the page before it; a mark with no text after it starts nothing of this chunk
        inside = [(max(at - lead, 0), page) for at, page in breaks if at - lead < end]
        if inside and inside[0][0] == 0:
            start = inside[0][1]
        elif inside or (breaks and start is None):
            start = self._before(breaks[0][1])
        last = inside[-1][1] if inside else start
        if start is None:
            start = inside[0][1] if inside else None
        kept = tuple((at, page) for at, page in inside if at > 0)
        return Paged(text, start, last, kept)

    def _before(self, number: int) -> int | None:
        earlier = [page for page in self.marked if page < number]
        return earlier[-1] if earlier else None


def split_pages(text: str) -> list[tuple[int | None, str]]:
    """`text` cut at its page marks: (None, what comes before the first mark, e.g. the title),
    then (page number, that page's text) in order."""
    parts: list[tuple[int | None, str]] = []
    start, number = 0, None
    for found in _MARK.finditer(text):
        parts.append((number, text[start : found.start()]))
        start, number = found.end(), int(found.group(1))
    parts.append((number, text[start:]))
    return [(n, t) for n, t in parts if n is not None or t.strip()]
