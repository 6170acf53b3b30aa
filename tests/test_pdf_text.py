"""PDF uploads: pages joined under a title, encrypted files read where they may be, and damaged,
protected, scanned or hostile files refused quickly with a clear message."""

from __future__ import annotations

import io
import time
import tracemalloc
import zlib

import pypdf
import pytest

from documents import pdf_text
from documents.loaders import Limits, to_markdown
from tests.document_files import encrypted, make_pdf, refusal, show, write

UNUSUAL = "Emoji 👩🏽‍💻 🎉, Hebrew שלום עולם, Arabic مرحبا, combining e\u0301 and n\u0303."


def test_pdf_pages_are_joined_under_the_metadata_title_each_after_its_page_mark(tmp_path):
    pdf = make_pdf(
        show("Hello from page one, caf\351."),
        show("# Page two is text, not a heading."),
        info=b"<< /Title (Quarterly Report) >>",
    )
    result = to_markdown(write(tmp_path, "q.pdf", pdf))
    assert result == (
        "# Quarterly Report\n\n<!-- page 1 -->\nHello from page one, café.\n\n"
        "<!-- page 2 -->\n\\# Page two is text, not a heading."
    )


@pytest.mark.parametrize("info", [b"", b"<< /Title (Microsoft Word - draft3.docx) >>"])
def test_pdf_without_a_sensible_title_is_named_after_the_file(tmp_path, info):
    path = write(tmp_path, "annual_report-2024.PDF", make_pdf(show("Revenue grew."), info=info))
    assert to_markdown(path) == "# Annual report 2024\n\n<!-- page 1 -->\nRevenue grew."


def test_pdf_encrypted_with_an_empty_password_is_read(tmp_path):
    path = write(tmp_path, "open.pdf", encrypted(make_pdf(show("Readable text.")), ""))
    assert to_markdown(path) == "# Open\n\n<!-- page 1 -->\nReadable text."


def test_aes_256_pdf_with_only_an_owner_password_is_read(tmp_path):
    pdf = encrypted(make_pdf(show("Readable text.")), "", algorithm="AES-256")
    assert pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Encrypt"]["/V"] == 5  # AES-256, not RC4
    assert to_markdown(write(tmp_path, "locked.pdf", pdf)) == (
        "# Locked\n\n<!-- page 1 -->\nReadable text."
    )


# --- refusals -----------------------------------------------------------------------------------


def test_pdf_that_is_not_a_pdf_is_refused(tmp_path):
    message = refusal(write(tmp_path, "fake.pdf", "Just some text pretending."))
    assert "'fake.pdf' is not a PDF (it does not start with %PDF-)" in message


def test_damaged_pdf_is_refused_as_unreadable(tmp_path):
    message = refusal(write(tmp_path, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Cat"))
    assert "'broken.pdf' is an unreadable PDF" in message


def test_password_protected_pdf_is_refused(tmp_path):
    path = write(tmp_path, "secret.pdf", encrypted(make_pdf(show("Hidden.")), "secret"))
    assert "'secret.pdf' is password-protected" in refusal(path)


def test_aes_256_pdf_with_a_user_password_is_refused(tmp_path):
    pdf = encrypted(make_pdf(show("Hidden.")), "secret", algorithm="AES-256")
    assert "'secret.pdf' is password-protected" in refusal(write(tmp_path, "secret.pdf", pdf))


def test_pdf_with_too_many_pages_is_refused(tmp_path):
    path = write(tmp_path, "long.pdf", make_pdf(*[show(f"Page {n}") for n in range(3)]))
    assert "'long.pdf' has 3 pages; at most 2 are accepted" in refusal(
        path, Limits(max_pdf_pages=2)
    )


def test_scanned_pdf_without_a_text_layer_is_refused(tmp_path):
    path = write(tmp_path, "scan.pdf", make_pdf(b"0 0 m 200 200 l S", b"q 1 0 0 1 0 0 cm Q"))
    assert "'scan.pdf' has no text layer" in refusal(path)


def test_pdf_bomb_is_refused_quickly_and_in_bounded_memory(tmp_path):
    packer, chunk = zlib.compressobj(9), b"0 0 Td " * 150_000  # ~1 MB
    stream = b"".join(packer.compress(chunk) for _ in range(110)) + packer.flush()
    assert len(stream) < 200_000  # 110 MB once inflated
    path = write(tmp_path, "bomb.pdf", make_pdf(stream, flate=True))
    tracemalloc.start()
    started = time.monotonic()
    try:
        message = refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "'bomb.pdf' holds more data than is safe to unpack (it may be a 'PDF bomb')" in message
    assert time.monotonic() - started < 5
    assert peak < 80 * 1024 * 1024


def test_slow_pdf_is_stopped_at_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_text, "_PDF_SECONDS", -1.0)
    path = write(tmp_path, "slow.pdf", make_pdf(show("Fine text.")))
    assert "'slow.pdf' took more than -1 s to read" in refusal(path)


# --- safe_name ----------------------------------------------------------------------------------
