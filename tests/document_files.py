"""Documents written for the loader tests: files on disk, a minimal PDF made by hand, and the
refusal a loader gives."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from common.errors import DocumentError
from documents.loaders import Limits, to_markdown


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refusal(path: Path, limits: Limits | None = None, name: str | None = None) -> str:
    with pytest.raises(DocumentError) as caught:
        to_markdown(path, limits or Limits(), name)
    return str(caught.value)


def show(text: str) -> bytes:
    """A content stream that writes `text` (WinAnsi, so \\351 is é) in Helvetica."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"BT /F1 12 Tf 72 720 Td (" + escaped.encode("latin-1") + b") Tj ET"


def make_pdf(*contents: bytes, info: bytes = b"", flate: bool = False) -> bytes:
    """A minimal valid PDF written by hand: one page per content stream, Helvetica as /F1."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        flate_filter = b" /Filter /FlateDecode" if flate else b""
        head = b"<< /Length %d%s >>\nstream\n" % (len(content), flate_filter)
        objects.append(head + content + b"\nendstream")
    objects += [info] if info else []
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    out += b" /Info %d 0 R" % len(objects) if info else b""
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypted(pdf: bytes, password: str, algorithm: str = "RC4-128") -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
