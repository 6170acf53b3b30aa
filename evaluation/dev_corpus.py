"""A second, public dev corpus for tuning the RAG column: chapters of the Debian Policy Manual (a
policy text) and pages of the SQLite documentation (a technical manual), rebuilt from pinned Debian
packages, since only what we write is committed; and the check that a question set's answers are
verbatim in them. `python -m scripts.build_dev_corpus` runs both."""

from __future__ import annotations

import hashlib
import html
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from common.config import REPO_ROOT
from documents.chunks import read_corpus
from documents.html_text import html_to_markdown

log = logging.getLogger(__name__)

DEV_QUESTIONS = REPO_ROOT / "data" / "dev" / "questions.jsonl"
TYPES = ("number", "period", "name", "term", "yes/no", "unanswerable")
ANSWERABLE_FIELDS = ("id", "question", "answers", "source", "section", "evidence", "type")
UNANSWERABLE_FIELDS = ("id", "question", "answers", "absent_terms", "type")
_MARKER = "<!-- built by python -m scripts.build_dev_corpus -->"

Rule = tuple[str, str, str]  # (tag, attribute, regex its value must match); "" attribute = any


class DevCorpusError(RuntimeError):
    """A pinned package cannot be fetched or read, or the output folder is not a dev corpus."""


@dataclass(frozen=True)
class Package:
    """A Debian package pinned to one version, and how to read its HTML pages."""

    name: str
    version: str  # exact; apt-get download fetches this version or fails
    root: str  # the folder inside the package that holds the pages
    label: str  # added to a page title that lacks it, so that every passage names its source
    keep: Rule | None  # the element that holds the page's text; None = the whole page
    drop: tuple[Rule, ...] = ()  # menus, permalinks and diagram buttons within it


@dataclass(frozen=True)
class Document:
    package: Package
    page: str  # file name under package.root
    path: str  # where the Markdown goes, relative to the corpus folder


POLICY = Package(
    "debian-policy",
    "4.6.2.0",
    "usr/share/doc/debian-policy/policy.html",
    "Debian Policy Manual",
    keep=("div", "role", r"^main$"),
    drop=(("a", "class", r"\bheaderlink\b"),),
)
SQLITE = Package(
    "sqlite3-doc",
    "3.40.1-2+deb12u2",
    "usr/share/doc/sqlite3",
    "SQLite",
    keep=None,
    drop=(
        ("div", "class", r"\b(nosearch|fancy_toc)\b"),
        ("button", "", ""),  # "hide" beside each syntax diagram
        ("a", "href", r"^syntax/"),  # the diagram's name
    ),
)
PACKAGES = (POLICY, SQLITE)
_POLICY_PAGES = (
    "ch-scope ch-archive ch-binary ch-source ch-maintainerscripts ch-relationships ch-files"
    " ch-docs ch-customized-programs ap-process"
)
_SQLITE_PAGES = (
    "cli limits datatype3 lang_vacuum wal foreignkeys autoinc lang_transaction quirks"
    " lang_datefunc inmemorydb withoutrowid stricttables gencol uri"
)
DOCUMENTS = (
    *(Document(POLICY, f"{p}.html", f"policy/debian-policy-{p}.md") for p in _POLICY_PAGES.split()),
    *(Document(SQLITE, f"{p}.html", f"manual/sqlite-{p}.md") for p in _SQLITE_PAGES.split()),
)
_NOISE = re.compile(r"^This page last modified on .*$", re.M)  # SQLite's footer


def build(out: Path, cache: Path) -> dict[str, int]:
    """Fetch the pinned packages into `cache` and write every document to `out` as Markdown,
    replacing a dev corpus built there before. Returns each document's size in characters."""
    _clear(out)
    debs = {package: fetch(package, cache) for package in PACKAGES}
    trees = {package: extract(deb, cache) for package, deb in debs.items()}
    sizes: dict[str, int] = {}
    for doc in DOCUMENTS:
        source = trees[doc.package] / doc.package.root / doc.page
        text = page_markdown(source.read_text(encoding="utf-8"), doc.package)
        target = out / doc.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        sizes[doc.path] = len(text)
    (out / "README.md").write_text(_readme(debs, sizes), encoding="utf-8")
    return sizes


def fetch(package: Package, cache: Path) -> Path:
    """The package's .deb at its pinned version, from `cache` or else by `apt-get download`."""
    cache.mkdir(parents=True, exist_ok=True)
    name = f"{package.name}_{package.version.replace(':', '%3a')}_*.deb"  # as apt-get names it
    if not any(cache.glob(name)):
        log.info("downloading %s %s", package.name, package.version)
        _run(["apt-get", "download", f"{package.name}={package.version}"], cache)
    found = sorted(cache.glob(name))
    if not found:
        raise DevCorpusError(f"apt-get download left no {name} in {cache}")
    return found[0]


def extract(deb: Path, cache: Path) -> Path:
    """The package's files, unpacked once under `cache` (a half-unpacked tree is never used)."""
    tree = cache / deb.stem
    if not tree.is_dir():
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=cache))
        try:
            _run(["dpkg-deb", "--extract", str(deb), str(partial)], cache)
        except DevCorpusError:
            shutil.rmtree(partial)
            raise
        partial.rename(tree)
    return tree


def page_markdown(page: str, package: Package) -> str:
    """One HTML page as Markdown: its title as the '# ' heading, the page's own headings one
    level below it, and only the package's main content (no menus, permalinks, footers)."""
    found = re.search(r"<title>(.*?)</title>", page, re.S | re.I)
    title = " ".join(html.unescape(found.group(1)).split()) if found else ""
    if package.label not in title:
        title = f"{title} — {package.label}".strip(" —")
    if package.keep:
        kept = _spans(page, (package.keep,))
        if not kept:
            raise DevCorpusError(f"a {package.name} page has no element {package.keep}")
        page = page[kept[0][0] : kept[0][1]]
    for start, end in reversed(_spans(page, package.drop)):
        page = page[:start] + page[end:]
    # The title takes level 1, so each page heading moves down one (SQLite numbers its <h1>s).
    page = re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m[1]}h{int(m[2]) + 1}", page, flags=re.I)
    # Fenced, a '# comment' line in an example is not taken for a heading by the splitter.
    page = re.sub(r"(<pre\b)", r"<p>```</p>\1", page, flags=re.I)
    page = re.sub(r"(</pre>)", r"\1<p>```</p>", page, flags=re.I)
    body, _ = html_to_markdown(page)
    body = re.sub(r"\n{3,}", "\n\n", _NOISE.sub("", body)).strip()
    return f"# {title}\n\n{body}\n"


def verify(questions: Sequence[dict[str, Any]], corpus_dir: Path) -> list[str]:
    """What is wrong with a question set over the corpus (empty: nothing). Each answer and its
    evidence must be verbatim in the `source` document (case and whitespace aside; a yes/no
    answer needs only its evidence); an unanswerable item's `absent_terms` must occur nowhere."""
    texts = {f.path: _normal(f.text) for f in read_corpus(corpus_dir)}
    everything = "\n".join(texts.values())
    problems: list[str] = []
    seen: set[str] = set()
    for item in questions:
        name = str(item.get("id", item.get("question", "?")))
        found = _shape_problems(item) or (
            _answer_problems(item, texts) if item["answers"] else _absent_problems(item, everything)
        )
        found += ["the id is used twice"] if name in seen else []
        seen.add(name)
        problems += [f"{name}: {problem}" for problem in found]
    return problems


def _shape_problems(item: dict[str, Any]) -> list[str]:
    fields = ANSWERABLE_FIELDS if item.get("answers") else UNANSWERABLE_FIELDS
    missing = [f for f in fields if not item.get(f) and f != "answers"]
    if missing:
        return [f"missing {', '.join(missing)}"]
    if item["type"] not in TYPES:
        return [f"type {item['type']!r} is not one of {', '.join(TYPES)}"]
    if (item["type"] == "unanswerable") == bool(item["answers"]):
        return ["only an item of type 'unanswerable' has no answers"]
    if item["type"] == "yes/no" and item["answers"] not in (["yes"], ["no"]):
        return ['a yes/no item\'s answers are ["yes"] or ["no"]']
    return []


def _answer_problems(item: dict[str, Any], texts: dict[str, str]) -> list[str]:
    text = texts.get(item["source"])
    if text is None:
        return [f"source {item['source']} is not a document of the corpus"]
    evidence = _normal(item["evidence"])
    problems = [] if evidence in text else ["the evidence is not verbatim in the source"]
    if item["type"] != "yes/no":
        for answer in item["answers"]:
            if _normal(answer) not in text:
                problems.append(f"answer {answer!r} is not verbatim in the source")
            elif _normal(answer) not in evidence:
                problems.append(f"answer {answer!r} is not in the evidence")
    return problems


def _absent_problems(item: dict[str, Any], everything: str) -> list[str]:
    terms = item["absent_terms"]
    if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
        return ["absent_terms is a list of non-empty strings"]
    return [f"absent term {t!r} occurs in the corpus" for t in terms if _normal(t) in everything]


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _run(command: list[str], cwd: Path) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise DevCorpusError(
            f"{' '.join(command)} failed: {detail.strip()}\nThis needs apt-get (as root) and"
            " dpkg-deb. If a pin left the archive, `apt-cache policy PACKAGE` shows what is there."
        ) from error


def _clear(out: Path) -> None:
    """Remove a dev corpus built before; refuse to touch any other non-empty folder."""
    if out.is_dir() and any(out.iterdir()):
        readme = out / "README.md"
        if not (readme.is_file() and _MARKER in readme.read_text(encoding="utf-8")):
            raise DevCorpusError(f"{out} is not empty and not a dev corpus; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _readme(debs: dict[Package, Path], sizes: dict[str, int]) -> str:
    """Where each document came from: package, exact version, the .deb's SHA-256, page."""
    lines = [_MARKER, "# Dev corpus (not indexed: README files describe the folder)", ""]
    lines += ["| package | version | sha256 of the .deb |", "|---|---|---|"]
    for package, deb in debs.items():
        digest = hashlib.sha256(deb.read_bytes()).hexdigest()
        lines.append(f"| {package.name} | {package.version} | {digest} |")
    lines += ["", "| document | from | characters |", "|---|---|---|"]
    for doc in DOCUMENTS:
        origin = f"{doc.package.name}: /{doc.package.root}/{doc.page}"
        lines.append(f"| {doc.path} | {origin} | {sizes[doc.path]:,} |")
    return "\n".join(lines) + "\n"


def _spans(page: str, rules: Sequence[Rule]) -> list[tuple[int, int]]:
    """(start, end) offsets of the outermost elements that match one of `rules`."""
    finder = _ElementFinder(page, rules)
    finder.feed(page)
    finder.close()
    return finder.spans


class _ElementFinder(HTMLParser):
    """Finds elements by tag and attribute with the standard HTML parser, counting nested tags
    of the same name to find each one's end (the pages close their divs; <a> does not nest)."""

    def __init__(self, page: str, rules: Sequence[Rule]) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.rules = page, rules
        self.spans: list[tuple[int, int]] = []
        self._lines = [0] + [m.end() for m in re.finditer("\n", page)]
        self._open: tuple[str, int, int] | None = None  # tag, depth, start offset

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open:
            name, depth, start = self._open
            self._open = (name, depth + (tag == name), start)
            return
        values = dict(attrs)
        for rule_tag, attribute, pattern in self.rules:
            value = (values.get(attribute) or "") if attribute else ""
            if tag == rule_tag and (not attribute or re.search(pattern, value)):
                self._open = (tag, 1, self._here())
                return

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            name, depth, start = self._open
            self._open = (name, depth - 1, start) if depth > 1 else None
            if depth == 1:
                self.spans.append((start, self.page.index(">", self._here()) + 1))

    def _here(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column
