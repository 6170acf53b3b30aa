"""HTML to Markdown: headings, list items and table rows kept; scripts, styles and menus dropped.
The title is the first <h1>, else <title>."""

from __future__ import annotations

import re
from html.parser import HTMLParser


def html_to_markdown(text: str) -> tuple[str, str]:
    """The body of an HTML page as Markdown, and its title (empty if it has none)."""
    parser = _HtmlToMarkdown()
    parser.feed(_defuse(text))
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    body = "\n".join(line for line in lines if not re.fullmatch(r"#+", line))
    return re.sub(r"\n{3,}", "\n\n", body).strip(), parser.h1 or " ".join(parser.title.split())


def _defuse(html: str) -> str:
    """Escape every '<' that opens a tag, comment or CDATA section that never ends: html.parser
    without CPython's gh-135462 fix (e.g. 3.11.7) rescans the rest of the text for each one, in
    quadratic time. It shows them as text anyway, so the result is the same."""
    for opener, closer in (("<!--", "-->"), ("<![", "]>"), ("<", ">")):
        cut = html.rfind(closer) + len(closer) if closer in html else 0
        html = html[:cut] + html[cut:].replace(opener, "&lt;" + opener[1:])
    return html


class _HtmlToMarkdown(HTMLParser):
    """HTML to Markdown with headings, list items and table rows; no scripts, styles or menus.
    Breaks are pending until the next text, so nested blocks do not pile up blank lines."""

    _SKIP = frozenset({"script", "style", "head", "nav", "noscript", "template", "svg", "iframe"})
    _PARAGRAPH = frozenset(
        {"p", "ul", "ol", "table", "blockquote", "pre", "section", "article", "header", "footer"}
    )
    _LINE = frozenset({"div", "br", "li", "tr", "dt", "dd", "hr", "main", "aside", "figure"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = self.h1 = ""
        self._skipping: list[str] = []
        self._in_title = self._in_pre = self._bullet = False
        self._breaks, self._heading, self._heading_at, self._cells = 0, 0, 0, 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # </head> may be left out
            self._skipping = [t for t in self._skipping if t != "head"]
        self._in_title = self._in_title or (tag == "title" and "svg" not in self._skipping)
        if tag in self._SKIP:
            self._skipping.append(tag)
        elif self._skipping:
            return
        elif re.fullmatch(r"h[1-6]", tag):
            self._break(2)
            self._emit("#" * int(tag[1]) + " ")
            self._heading, self._heading_at = int(tag[1]), len(self.parts)
        elif tag in ("td", "th"):
            self._emit(" | " if self._cells else "")
            self._cells += 1
        else:
            self._in_pre = self._in_pre or tag == "pre"
            self._cells = 0 if tag == "tr" else self._cells
            self._bullet = self._bullet or (tag == "li" and not self._heading)
            self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"
        if tag in self._skipping:
            del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag)]
        elif self._skipping:
            return
        elif re.fullmatch(r"h[1-6]", tag) and self._heading:
            if self._heading == 1 and not self.h1:
                self.h1 = " ".join("".join(self.parts[self._heading_at :]).split())
            self._heading = 0
            self._break(2)
        else:
            self._in_pre = self._in_pre and tag != "pre"
            self._block(tag)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skipping and (data.strip() or not (self._breaks or self._bullet)):
            self._emit(data if self._in_pre else re.sub(r"\s+", " ", data))

    def _block(self, tag: str) -> None:
        if self._heading and (tag in self._PARAGRAPH or tag in self._LINE):
            self._emit(" ")  # a heading stays on one line, whatever is nested in it
        elif tag in self._PARAGRAPH or tag in self._LINE:
            self._break(2 if tag in self._PARAGRAPH else 1)

    def _break(self, newlines: int) -> None:
        self._breaks = max(self._breaks, newlines)

    def _emit(self, text: str) -> None:
        if self.parts:
            self.parts.append("\n" * self._breaks)
        self.parts.append(("- " if self._bullet else "") + text)
        self._breaks, self._bullet = 0, False
