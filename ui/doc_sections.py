"""Finding the place to edit in a long document: its sections (split at Markdown headings), the
lines that hold some words, and one edited section put back with the rest left byte-identical."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"#{1,6}\s+(\S.*?)(?:\s+#+)?\s*$")  # one line: "### 3.4 Trial subscriptions"
FENCE = ("```", "~~~")  # a "# comment" inside a code block is no heading
TOP = "Start of the document"  # the title of the text before the first heading
MAX_QUERY = 200  # characters of a search
SNIPPET = 110  # characters shown of a matching line


@dataclass(frozen=True)
class Section:
    number: int  # its place in the document, from 0
    title: str  # the heading's text
    line: int  # the heading's line number, from 1
    start: int  # character offsets of the section in the document, [start, end)
    end: int

    @property
    def label(self) -> str:
        return f"{self.title} · line {self.line}"


@dataclass(frozen=True)
class Hit:
    section: Section
    line: int  # from 1
    snippet: str  # the line, shortened around the first match


def sections(text: str) -> list[Section]:
    """The document cut at every Markdown heading (outside code blocks); each section runs from
    its heading to the next one. Text before the first heading is a section of its own."""
    starts: list[tuple[int, str, int]] = []  # offset, title, line number
    offset, fenced = 0, False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.lstrip().startswith(FENCE):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line.rstrip("\r\n"))):
            starts.append((offset, match.group(1), number))
        offset += len(line)
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, TOP, 1))
    ends = [start for start, _, _ in starts[1:]] + [len(text)]
    return [
        Section(number, title, line, start, end)
        for number, ((start, title, line), end) in enumerate(zip(starts, ends, strict=True))
    ]


def section_text(text: str, section: Section) -> str:
    """What the editor shows of a section: its text without the blank lines that end it."""
    return text[section.start : section.end].rstrip()


def splice(text: str, section: Section, edited: str) -> str:
    """`text` with `section` replaced by `edited`: everything before and after it is kept byte
    for byte, and so are the blank lines that separated it from the next heading."""
    old = text[section.start : section.end]
    tail = old[len(old.rstrip()) :]
    body = edited.replace("\r\n", "\n").rstrip()
    return text[: section.start] + body + tail + text[section.end :]


def find(text: str, query: str) -> tuple[list[Hit], bool]:
    """The lines that hold every word of `query` (any case), in document order; if none holds
    them all, the lines holding the most of them. The flag says whether every word was found."""
    words = [w.lower() for w in query[:MAX_QUERY].split()]
    if not words:
        return [], False
    cut = sections(text)
    scored: list[tuple[int, Hit]] = []
    offset, index = 0, 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        while index + 1 < len(cut) and cut[index + 1].start <= offset:
            index += 1
        lowered = line.lower()
        score = sum(1 for w in set(words) if w in lowered)
        if score:
            scored.append((score, Hit(cut[index], number, _snippet(line.strip(), words))))
        offset += len(line)
    best = max((score for score, _ in scored), default=0)
    return [hit for score, hit in scored if score == best], best == len(set(words))


def by_section(hits: list[Hit]) -> list[tuple[Section, list[Hit]]]:
    """Hits grouped by their section, in document order."""
    groups: dict[int, tuple[Section, list[Hit]]] = {}
    for hit in hits:
        groups.setdefault(hit.section.number, (hit.section, []))[1].append(hit)
    return list(groups.values())


def _snippet(line: str, words: list[str]) -> str:
    """The line, cut to SNIPPET characters around the first word found in it."""
    if len(line) <= SNIPPET:
        return line
    lowered = line.lower()
    first = min((p for w in words if (p := lowered.find(w)) >= 0), default=0)
    start = max(0, min(first - SNIPPET // 3, len(line) - SNIPPET))
    piece = line[start : start + SNIPPET]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(line) else "")
