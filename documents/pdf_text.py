"""Text and title of a PDF upload, read with pypdf inside limits on memory, pages, characters and
time, so that a damaged, encrypted or hostile PDF is refused with a message instead."""

from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import dataclass

import pypdf
from pypdf.errors import LimitReachedError

from common.config import MB
from common.errors import DocumentError
from documents.pages import page_mark
from documents.rules import Limits, clean, too_much_text

log = logging.getLogger(__name__)

# Every pypdf decoder stops at this many bytes per stream: a crafted "PDF bomb" (kilobytes that
# inflate to gigabytes) is refused after 16 MiB instead of filling memory. Text extraction never
# decodes images, and jbig2dec, an external program, is never run on an upload.
_STREAM_CAP = 16 * MB
_PDF_CONFIG = {
    "zlib_maximum_output_length": _STREAM_CAP,
    "zlib_maximum_recovery_input_length": MB,
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
_FILE_LIKE_TITLE = re.compile(r"\.(docx?|pdf|tex|dvi|pptx?|xlsx?|odt|rtf|txt|html?|indd)$", re.I)


def read_pdf(data: bytes, name: str, limits: Limits) -> tuple[str, str]:
    """Text of every page, each after its page mark (documents/pages.py) and a blank line apart,
    and the metadata title if it is sensible. `data` starts with %PDF-; raises DocumentError on
    refusal."""
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
            f"'{name}' holds more data than is safe to unpack (it may be a 'PDF bomb'), so it "
            "was not read. Export it as PDF again, or upload its text."
        ) from error
    except Exception as error:  # pypdf raises many types on malformed files
        log.warning("Unreadable PDF %s", name, exc_info=True)
        raise DocumentError(
            f"'{name}' is an unreadable PDF: it may be damaged. Open it, export or print it to a "
            "new PDF, and upload that."
        ) from error


def _unlock(reader: pypdf.PdfReader, name: str) -> None:
    """Open a PDF that is encrypted with an empty password; refuse one that needs a password."""
    # AES needs the cryptography package (in requirements.txt); without it pypdf raises
    # DependencyError, a broken install that read_pdf logs as an unreadable PDF.
    if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
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
            pages.append(clean(text).strip())
            budget.chars = max(budget.chars, sum(map(len, pages)))
            budget.check()
        except _Stop:
            if budget.over == "chars":
                raise too_much_text(name, limits) from None
            raise DocumentError(
                f"'{name}' took more than {_PDF_SECONDS:.0f} s to read; split it into smaller "
                "PDFs, or upload its text."
            ) from None
    if not any(pages):
        raise DocumentError(
            f"'{name}' has no text layer: it looks like a scanned PDF (pictures of pages). Run "
            "it through OCR (e.g. ocrmypdf) first, or upload its text."
        )
    texts = [re.sub(r"^(\s*)#", r"\1\\#", page, flags=re.M) for page in pages]  # not headings
    return "\n\n".join(f"{page_mark(n)}\n{text}" for n, text in enumerate(texts, 1) if text)


def _pdf_title(reader: pypdf.PdfReader) -> str:
    """The metadata title, unless it is empty, a placeholder or a file name."""
    try:
        raw = reader.metadata.title if reader.metadata else None
    except Exception:
        log.info("Unreadable PDF metadata", exc_info=True)
        return ""
    title = " ".join(clean(raw).split()) if isinstance(raw, str) else ""
    if not any(ch.isalnum() for ch in title) or len(title) > 200 or _FILE_LIKE_TITLE.search(title):
        return ""
    return "" if title.lower() in ("untitled", "title", "document", "slide 1") else title
