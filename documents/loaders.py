"""Turn one uploaded document (PDF, Markdown, text or HTML) into Markdown for the index, or refuse
it with a message that tells the user what is wrong and what to do."""

from __future__ import annotations

import hashlib
import logging
import re
import stat
import unicodedata
from pathlib import Path

from common.config import MB
from common.errors import DocumentError
from documents.html_text import html_to_markdown
from documents.pdf_text import read_pdf
from documents.rules import Limits, clean, too_much_text

__all__ = ["ACCEPTED", "DocumentError", "Limits", "safe_name", "to_markdown"]

log = logging.getLogger(__name__)

ACCEPTED: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
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
_CONTROL_BYTES = bytes([*range(9), 11, *range(14, 32), 127, 0x81, 0x8D, 0x8F, 0x90, 0x9D])
_WHAT_TO_UPLOAD = "upload PDF, Markdown, text or HTML"
_DEFAULT_LIMITS = Limits()  # frozen, so one shared default is safe


def accepted_files(paths: list[str]) -> list[Path]:
    """The files named, with folders replaced by the files of an accepted type inside them."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in ACCEPTED)
        else:
            found.append(path)
    return found


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


def to_markdown(path: Path, limits: Limits = _DEFAULT_LIMITS, name: str | None = None) -> str:
    """The document at `path` as Markdown that starts with a '# Title' line. `name` is the user's
    file name (type and fallback title; default path.name). Raises DocumentError on refusal."""
    name = _base(name if name is not None else path.name)
    stem, ext = _split(name)
    _check_extension(name, ext)
    data = _read(path, name, limits)
    fallback = _title_from(stem)
    if ext == ".pdf":
        _check_is_pdf(data, name)
        body, title = read_pdf(data, name, limits)
    else:
        _check_is_text(data, name, ext)
        text = clean(_decode(data, name))
        if ext in (".html", ".htm"):
            body, title = html_to_markdown(text)
        else:
            body, title = _markdown(text)
    if not body.strip():
        raise DocumentError(f"'{name}' has no text left after conversion; upload a file with text.")
    if len(body) > limits.max_chars:
        raise too_much_text(name, limits)
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
            f"'{name}' is {size / MB:.1f} MB, over the upload limit of {limits.max_bytes / MB:g}"
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


def _check_is_pdf(data: bytes, name: str) -> None:
    if not data.startswith(b"%PDF-"):
        what = next((w for m, w in _MAGIC.items() if data.startswith(m)), "")
        raise DocumentError(
            f"'{name}' is not a PDF (it does not start with %PDF-"
            + (f"; it is {what}" if what else "")
            + "). Export it as PDF again, or upload it as Markdown or text."
        )


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
