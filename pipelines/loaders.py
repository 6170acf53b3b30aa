"""Turn one uploaded document (PDF, Markdown, text or HTML) into Markdown for the index, or refuse
it with a message that tells the user what is wrong and what to do."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import stat
import time
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdf
from pypdf.errors import DependencyError, LimitReachedError

log = logging.getLogger(__name__)

ACCEPTED: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
_MB = 1024 * 1024
# Every pypdf decoder stops at this many bytes per stream: a crafted "PDF bomb" (kilobytes that
# inflate to gigabytes) is refused after 16 MiB instead of filling memory. Text extraction never
# decodes images, and jbig2dec, an external program, is never run on an upload.
_STREAM_CAP = 16 * _MB
_PDF_CONFIG = {
    "zlib_maximum_output_length": _STREAM_CAP,
    "zlib_maximum_recovery_input_length": _MB,
    "lzw_maximum_output_length": _STREAM_CAP,
    "run_length_maximum_output_length": _STREAM_CAP,
    "brotli_maximum_output_length": _STREAM_CAP,
    "array_based_stream_maximum_output_length": _STREAM_CAP,
    "stream_decoding_work_maximum_length": 4 * _STREAM_CAP,
    "image_maximum_buffer_size": _STREAM_CAP,
    "jbig2dec_binary": None,
}
# Small streams can still cost time (one stream shared by every page, forms drawn thousands of
# times); pypdf is pure Python, so a whole PDF gets this much wall time, legitimate ones included.
_PDF_SECONDS = 120.0
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive or Office document (.docx, .xlsx, .pptx, .odt)",
    b"\xd0\xcf\x11\xe0": "an old Office document (.doc, .xls, .ppt)",
    b"%PDF-": "a PDF (upload it with the .pdf extension)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
}
_KINDS = {".md": "a Markdown file", ".markdown": "a Markdown file", ".txt": "a text file"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Cc except \t and \n; \r is gone by then
_CONTROL_BYTES = bytes([*range(9), 11, *range(14, 32), 127, 0x81, 0x8D, 0x8F, 0x90, 0x9D])
_FILE_LIKE_TITLE = re.compile(r"\.(docx?|pdf|tex|dvi|pptx?|xlsx?|odt|rtf|txt|html?|indd)$", re.I)
_WHAT_TO_UPLOAD = "upload PDF, Markdown, text or HTML"


class DocumentError(ValueError):
    """An uploaded document cannot be used; the message says why, for the user."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * _MB  # size of the uploaded file
    max_pdf_pages: int = 500
    max_chars: int = 2_000_000  # extracted text; guards against decompression bombs


def safe_name(original: str) -> str:
    """A name to store the upload under: base name only, [A-Za-z0-9._-], at most 100 characters,
    accepted extension in lower case. Raises DocumentError if nothing usable is left."""
    stem, ext = _split(_base(unicodedata.normalize("NFKC", original)))
    _check_extension(original, ext)
    cleaned = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]", "-", stem)).strip(".-")
    if not cleaned and any(ch.isalnum() for ch in stem):
        # A name in another script (e.g. 报告.pdf) is a real name: keep it apart from others.
        cleaned = "document-" + hashlib.sha256(stem.encode()).hexdigest()[:8]
    cleaned = cleaned[: 100 - len(ext)].rstrip(".-")
    if not cleaned:
        raise DocumentError(f"'{original}' has no usable file name; rename the file and upload it.")
    return cleaned + ext


def to_markdown(path: Path, limits: Limits = Limits(), name: str | None = None) -> str:
    """The document at `path` as Markdown that starts with a '# Title' line. `name` is the user's
    file name (type and fallback title; default path.name). Raises DocumentError on refusal."""
    name = _base(name if name is not None else path.name)
    stem, ext = _split(name)
    _check_extension(name, ext)
    data = _read(path, name, limits)
    fallback = _title_from(stem)
    if ext == ".pdf":
        body, title = _pdf(data, name, limits)
    else:
        _check_is_text(data, name, ext)
        text = _clean(_decode(data, name))
        if ext in (".html", ".htm"):
            body, title = _html(text)
        else:
            body, title = _markdown(text)
    if not body.strip():
        raise DocumentError(f"'{name}' has no text left after conversion; upload a file with text.")
    if len(body) > limits.max_chars:
        raise _too_much_text(name, limits)
    return _titled(body, title or fallback)


def _base(name: str) -> str:
    """The last path component, with backslashes as separators and a drive letter dropped."""
    return re.sub(r"^[A-Za-z]:", "", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()


def _split(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, "." + ext.lower()) if dot and stem.strip(".") else (name, "")


def _check_extension(name: str, ext: str) -> None:
    if ext not in ACCEPTED:
        what = f"{ext} files are" if ext not in ("", ".") else "files without an extension are"
        raise DocumentError(f"'{name}': {what} not accepted; {_WHAT_TO_UPLOAD}.")


def _read(path: Path, name: str, limits: Limits) -> bytes:
    """The file's bytes, after checking its size without reading it."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError(f"'{name}' is not a regular file; {_WHAT_TO_UPLOAD}.")
        size, data = info.st_size, b""
        if size <= limits.max_bytes:
            with path.open("rb") as file:
                data = file.read(limits.max_bytes + 1)  # +1: a file that grew is still refused
            size = len(data)
    except OSError as error:
        log.warning("Cannot read upload %s: %s", path, error)
        raise DocumentError(f"'{name}' could not be read; please upload it again.") from error
    if size > limits.max_bytes:
        raise DocumentError(
            f"'{name}' is {size / _MB:.1f} MB, over the upload limit of {limits.max_bytes / _MB:g}"
            " MB. Split it into smaller files (the limit is set by APP_MAX_UPLOAD_MB)."
        )
    if not data:
        raise DocumentError(f"'{name}' is empty; upload a file with text in it.")
    return data


def _check_is_text(data: bytes, name: str, ext: str) -> None:
    kind = _KINDS.get(ext, "an HTML file")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DocumentError(
                f"'{name}' is not {kind}: it is {what}. Save it as PDF, Markdown or "
                "plain text and upload that."
            )
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"'{name}' holds binary data, so it is not {kind}; {_WHAT_TO_UPLOAD}.")


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 / Latin-1 if it is text."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if len(data) - len(data.translate(None, _CONTROL_BYTES)) > len(data) // 100:
        raise DocumentError(
            f"'{name}' is not readable text (binary data or an unknown encoding); save it as "
            "UTF-8 text and upload it again."
        )
    log.info("%s is not UTF-8; read as Windows-1252", name)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _clean(text: str) -> str:
    """Unix newlines, no control characters but tab and newline; everything else untouched."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _titled(body: str, title: str) -> str:
    body = body.strip("\n")
    first = next((line for line in body.splitlines() if line.strip()), "")
    return body if re.match(r"# \S", first) else f"# {' '.join(title.split())}\n\n{body}"


def _title_from(stem: str) -> str:
    """A title made from a file name: 'annual_report-2024' -> 'Annual report 2024'."""
    words = " ".join(re.split(r"[\s_\-]+", stem)).strip(" .")
    if not any(ch.isalnum() for ch in words):
        return "Untitled document"
    return words[0].upper() + words[1:] if words.islower() else words


def _too_much_text(name: str, limits: Limits) -> DocumentError:
    return DocumentError(
        f"'{name}' holds more than {limits.max_chars:,} characters of text; split it into "
        "smaller documents and upload them one by one."
    )


def _markdown(text: str) -> tuple[str, str]:
    """Markdown or plain text as Markdown: front matter gives the title; underlined headings
    become '#' headings, since the index splits on those."""
    title = ""
    front = re.match(r"---\n(.*?)\n(?:---|\.\.\.)\n", text, re.S)
    if front and re.search(r"^\w+:", front.group(1), re.M):
        found = re.search(r"^title:\s*(.+)$", front.group(1), re.M)
        title = found.group(1).strip().strip("'\"") if found else ""
        text = text[front.end() :]
    lines: list[str] = []
    fenced = False
    for line in text.split("\n"):
        fenced ^= line.lstrip().startswith(("```", "~~~"))
        underline = re.fullmatch(r" {0,3}(=+|-+)\s*", line)
        if underline and not fenced and _is_lone_paragraph_line(lines):
            lines[-1] = ("# " if line.strip()[0] == "=" else "## ") + lines[-1].strip()
        else:
            lines.append(line)
    return "\n".join(lines), title


def _is_lone_paragraph_line(lines: list[str]) -> bool:
    """The last line is a one-line paragraph, so an underline below it makes it a heading."""
    if not lines or not lines[-1].strip() or (len(lines) > 1 and lines[-2].strip()):
        return False
    return not re.match(r" {4}|\s*([#>|*+-]|\d+[.)]\s)", lines[-1])


def _pdf(data: bytes, name: str, limits: Limits) -> tuple[str, str]:
    """Text of every page, pages apart by a blank line, and the metadata title if it is sensible."""
    if not data.startswith(b"%PDF-"):
        what = next((w for m, w in _MAGIC.items() if data.startswith(m)), "")
        raise DocumentError(
            f"'{name}' is not a PDF (it does not start with %PDF-"
            + (f"; it is {what}" if what else "")
            + "). Export it as PDF again, or upload it as Markdown or text."
        )
    try:
        with pypdf.apply_configuration(**_PDF_CONFIG):
            reader = pypdf.PdfReader(io.BytesIO(data))
            _unlock(reader, name)
            if len(reader.pages) > limits.max_pdf_pages:
                raise DocumentError(
                    f"'{name}' has {len(reader.pages)} pages; at most {limits.max_pdf_pages} "
                    "are accepted. Split it into smaller PDFs."
                )
            return _pdf_text(reader, name, limits), _pdf_title(reader)
    except DocumentError:
        raise
    except LimitReachedError as error:
        log.warning("Refused %s: %s", name, error)
        raise DocumentError(
            f"'{name}' holds a compressed stream that expands past the safe limit (it may be a "
            "'PDF bomb'), so it was not read. Export it as PDF again, or upload its text."
        ) from error
    except Exception as error:  # pypdf raises many types on malformed files
        log.warning("Unreadable PDF %s", name, exc_info=True)
        raise DocumentError(
            f"'{name}' is an unreadable PDF: it may be damaged. Open it, export or print it to a "
            "new PDF, and upload that."
        ) from error


def _unlock(reader: pypdf.PdfReader, name: str) -> None:
    """Open a PDF that is encrypted with an empty password; refuse one that needs a password."""
    if not reader.is_encrypted:
        return
    try:
        if reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED:
            return
    except DependencyError:
        log.warning("%s uses AES encryption: pip install cryptography to open such PDFs", name)
        raise DocumentError(
            f"'{name}' is encrypted in a way this app cannot open. Save a copy without "
            "protection (e.g. print it to a new PDF) and upload that."
        ) from None
    raise DocumentError(
        f"'{name}' is password-protected. Save a copy without the password and upload that."
    )


class _Stop(Exception):
    """Raised from inside pypdf's text extraction to stop it early."""


@dataclass
class _Budget:
    """Counts extracted characters and watches the clock while pypdf extracts text."""

    max_chars: int
    deadline: float
    chars: int = 0
    over: str = ""

    def text(self, text: str, *_: object) -> None:
        self.chars += len(text)
        self.check()

    def check(self, *_: object) -> None:
        if not self.over and self.chars > self.max_chars:
            self.over = "chars"
        if not self.over and time.monotonic() > self.deadline:
            self.over = "time"
        if self.over:  # pypdf swallows errors inside forms, so check again after every page
            raise _Stop(self.over)


def _pdf_text(reader: pypdf.PdfReader, name: str, limits: Limits) -> str:
    budget = _Budget(limits.max_chars, time.monotonic() + _PDF_SECONDS)
    pages: list[str] = []
    for page in reader.pages:
        try:
            text = page.extract_text(visitor_text=budget.text, visitor_operand_before=budget.check)
            pages.append(_clean(text).strip())
            budget.chars = max(budget.chars, sum(map(len, pages)))
            budget.check()
        except _Stop:
            if budget.over == "chars":
                raise _too_much_text(name, limits) from None
            raise DocumentError(
                f"'{name}' took more than {_PDF_SECONDS:.0f} s to read; split it into smaller "
                "PDFs, or upload its text."
            ) from None
    body = "\n\n".join(page for page in pages if page)
    if not body:
        raise DocumentError(
            f"'{name}' has no text layer: it looks like a scanned PDF (pictures of pages). Run "
            "it through OCR (e.g. ocrmypdf) first, or upload its text."
        )
    return re.sub(r"^(\s*)#", r"\1\\#", body, flags=re.M)  # text, not headings


def _pdf_title(reader: pypdf.PdfReader) -> str:
    """The metadata title, unless it is empty, a placeholder or a file name."""
    try:
        raw = reader.metadata.title if reader.metadata else None
    except Exception:
        log.info("Unreadable PDF metadata", exc_info=True)
        return ""
    title = " ".join(_clean(raw).split()) if isinstance(raw, str) else ""
    if not any(ch.isalnum() for ch in title) or len(title) > 200 or _FILE_LIKE_TITLE.search(title):
        return ""
    return "" if title.lower() in ("untitled", "title", "document", "slide 1") else title


def _html(text: str) -> tuple[str, str]:
    parser = _HtmlToMarkdown()
    parser.feed(text)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    body = "\n".join(line for line in lines if not re.fullmatch(r"#+", line))
    return re.sub(r"\n{3,}", "\n\n", body).strip(), parser.h1 or " ".join(parser.title.split())


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
