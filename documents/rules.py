"""What every document reader shares: the one error type the user sees, the limits on one upload,
and the cleaning that all extracted text goes through. Kept apart so that loaders and pdf_text
can both import it without importing each other."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.config import MB, Config
from common.errors import DocumentError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Cc except \t and \n; \r is gone by then


@dataclass(frozen=True)
class Limits:
    """How much one upload may hold; the defaults suit the demo's small model and index."""

    max_bytes: int = int(Config.max_upload_mb * MB)  # size of the uploaded file (APP_MAX_UPLOAD_MB)
    max_pdf_pages: int = 500
    max_chars: int = 2_000_000  # extracted text; guards against decompression bombs


def clean(text: str) -> str:
    """Unix newlines, no control characters but tab and newline; everything else untouched."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def too_much_text(name: str, limits: Limits) -> DocumentError:
    """The refusal for a document whose text is over limits.max_chars."""
    return DocumentError(
        f"'{name}' holds more than {limits.max_chars:,} characters of text; split it into "
        "smaller documents and upload them one by one."
    )
