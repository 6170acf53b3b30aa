"""Uploaded documents become Markdown with a '# Title' line, or are refused with a clear message."""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zlib
from pathlib import Path

import pypdf
import pytest

from common.errors import DocumentError
from documents import pdf_text
from documents.loaders import Limits, safe_name, to_markdown

UNUSUAL = "Emoji 👩🏽‍💻 🎉, Hebrew שלום עולם, Arabic مرحبا, combining e\u0301 and n\u0303."


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _refusal(path: Path, limits: Limits | None = None, name: str | None = None) -> str:
    with pytest.raises(DocumentError) as caught:
        to_markdown(path, limits or Limits(), name)
    return str(caught.value)


def _show(text: str) -> bytes:
    """A content stream that writes `text` (WinAnsi, so \\351 is é) in Helvetica."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"BT /F1 12 Tf 72 720 Td (" + escaped.encode("latin-1") + b") Tj ET"


def _pdf(*contents: bytes, info: bytes = b"", flate: bool = False) -> bytes:
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


def _encrypted(pdf: bytes, password: str, algorithm: str = "RC4-128") -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- accepted documents -------------------------------------------------------------------------


def test_markdown_keeps_its_heading_sections_and_unusual_unicode(tmp_path):
    text = f"# Widget Guide\r\n\r\nIntro.\x07\r\n\r\n## Setup\r\n{UNUSUAL}\n\n### Fuse\rUse 2 A.\n"
    result = to_markdown(_write(tmp_path, "guide.md", text))
    assert result == f"# Widget Guide\n\nIntro.\n\n## Setup\n{UNUSUAL}\n\n### Fuse\nUse 2 A."


def test_markdown_without_a_title_gets_one_from_the_file_name(tmp_path):
    path = _write(tmp_path, "upload-1234", "## Part one\nSome text.")
    result = to_markdown(path, name="C:\\docs\\install_guide.MARKDOWN")
    assert result == "# Install guide\n\n## Part one\nSome text."


def test_markdown_front_matter_title_and_underlined_headings(tmp_path):
    text = (
        "---\ntitle: 'Handbook'\ndate: 2024\n---\nIntro.\n\nOverview\n========\n\nBody.\n\n"
        "Details\n-------\nMore.\n\n```\n\nnot a heading\n===\n```\n"
    )
    result = to_markdown(_write(tmp_path, "h.md", text))
    assert result.startswith("# Handbook\n\nIntro.\n\n# Overview\n\nBody.\n\n## Details\nMore.")
    assert "date: 2024" not in result
    assert "\nnot a heading\n===\n" in result  # inside a code fence


def test_plain_text_gets_a_title_and_loses_control_characters(tmp_path):
    path = _write(tmp_path, "meeting_notes.txt", b"First line\x1b[0m\r\nSecond\tline\x0c\x7f")
    assert to_markdown(path) == "# Meeting notes\n\nFirst line[0m\nSecond\tline"


def test_plain_text_with_its_own_heading_keeps_it(tmp_path):
    path = _write(tmp_path, "notes.txt", "\n# Release 2.0\n\nFaster start-up.\n")
    assert to_markdown(path) == "# Release 2.0\n\nFaster start-up."


@pytest.mark.parametrize(
    "raw",
    [
        "Café “quoted” naïve".encode("cp1252"),
        "\ufeffCafé “quoted” naïve".encode(),
        "Café “quoted” naïve".encode("utf-16"),  # with a BOM, as Windows Notepad writes it
    ],
    ids=["cp1252", "utf-8-bom", "utf-16"],
)
def test_text_encodings_are_decoded(tmp_path, raw):
    assert to_markdown(_write(tmp_path, "a.txt", raw)) == "# A\n\nCafé “quoted” naïve"


def test_html_becomes_markdown_without_scripts_styles_or_menus(tmp_path):
    page = (
        """<!doctype html><html><head><title>Ignored</title><style>p {color: red}</style>
    <script>alert("x")</script></head><body><nav>Home | About</nav>
    <h1>Main  <em>Heading</em></h1><p>Fish &amp; chips &eacute;t&eacute;,
    twice.<br>Second line.</p><ul>
      <li>First item</li>
      <li><p>Second item</p></li>
    </ul>
    <table><tr><th>Name</th><th>Value</th></tr>
      <tr><td>port</td> <td>8443</td></tr></table>
    <h2>Setup<br>notes</h2><div><div>Done.</div></div><noscript>Enable JS</noscript>
    <template><p>hidden</p></template><p dir="rtl">"""
        + UNUSUAL
        + "</p></body></html>"
    )
    result = to_markdown(_write(tmp_path, "page.html", page))
    assert result == (
        "# Main Heading\n\nFish & chips été, twice.\nSecond line.\n\n- First item\n\n"
        "- Second item\n\nName | Value\nport | 8443\n\n## Setup notes\n\nDone.\n\n" + UNUSUAL
    )


def test_html_without_h1_takes_its_title_from_the_title_tag(tmp_path):
    page = "<html><head><title>Release &lt;Notes&gt;</title></head><h3>Fixes</h3><p>Many.</p>"
    result = to_markdown(_write(tmp_path, "r.htm", page))
    assert result == "# Release <Notes>\n\n### Fixes\n\nMany."


@pytest.mark.parametrize("junk", ["<a", "</", "<!--x>", "<![CDATA[x>"])
def test_html_with_constructs_that_never_end_is_read_in_linear_time(tmp_path, junk):
    # 400,000 characters: seconds to minutes each with html.parser before the gh-135462 fix
    path = _write(tmp_path, "junk.html", "<h1>Junk</h1>" + junk * (400_000 // len(junk)))
    started = time.monotonic()
    result = to_markdown(path)
    assert time.monotonic() - started < 3
    assert result.startswith("# Junk\n\n" + junk * 3)


def test_pdf_pages_are_joined_under_the_metadata_title(tmp_path):
    pdf = _pdf(
        _show("Hello from page one, caf\351."),
        _show("# Page two is text, not a heading."),
        info=b"<< /Title (Quarterly Report) >>",
    )
    result = to_markdown(_write(tmp_path, "q.pdf", pdf))
    assert result == (
        "# Quarterly Report\n\nHello from page one, café.\n\n\\# Page two is text, not a heading."
    )


@pytest.mark.parametrize("info", [b"", b"<< /Title (Microsoft Word - draft3.docx) >>"])
def test_pdf_without_a_sensible_title_is_named_after_the_file(tmp_path, info):
    path = _write(tmp_path, "annual_report-2024.PDF", _pdf(_show("Revenue grew."), info=info))
    assert to_markdown(path) == "# Annual report 2024\n\nRevenue grew."


def test_pdf_encrypted_with_an_empty_password_is_read(tmp_path):
    path = _write(tmp_path, "open.pdf", _encrypted(_pdf(_show("Readable text.")), ""))
    assert to_markdown(path) == "# Open\n\nReadable text."


def test_aes_256_pdf_with_only_an_owner_password_is_read(tmp_path):
    pdf = _encrypted(_pdf(_show("Readable text.")), "", algorithm="AES-256")
    assert pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Encrypt"]["/V"] == 5  # AES-256, not RC4
    assert to_markdown(_write(tmp_path, "locked.pdf", pdf)) == "# Locked\n\nReadable text."


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report.docx", "setup.exe", "README"])
def test_other_file_types_are_refused(tmp_path, name):
    message = _refusal(_write(tmp_path, name, "text"))
    assert f"'{name}'" in message and "not accepted" in message
    assert "upload PDF, Markdown, text or HTML" in message
    assert (".docx files" in message) == name.endswith(".docx")


def test_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.md"
    with path.open("wb") as file:
        file.truncate(11 * 1024 * 1024)  # sparse: 11 MB on paper, nothing on disk
    monkeypatch.setattr(Path, "open", lambda *a, **k: pytest.fail("read an oversized file"))
    message = _refusal(path)
    assert "'big.md' is 11.0 MB" in message and "limit of 10 MB" in message
    assert "APP_MAX_UPLOAD_MB" in message


def test_custom_size_limit_is_applied(tmp_path):
    path = _write(tmp_path, "a.md", "x" * (3 * 1024 * 1024 // 2))
    assert "is 1.5 MB, over the upload limit of 1 MB" in _refusal(path, Limits(max_bytes=2**20))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.md", "", "'empty.md' is empty"),
        ("blank.txt", " \n\t\r\n", "'blank.txt' has no text left after conversion"),
        ("script.html", "<script>x()</script><style>p{}</style>", "no text left"),
    ],
)
def test_documents_without_text_are_refused(tmp_path, name, content, expected):
    assert expected in _refusal(_write(tmp_path, name, content))


@pytest.mark.parametrize("name", ["notes.md", "paper.pdf", "page.html"])
def test_zip_or_office_file_under_another_name_is_refused(tmp_path, name):
    message = _refusal(_write(tmp_path, name, b"PK\x03\x04\x14\x00\x06\x00word/document.xml"))
    assert f"'{name}' is not a" in message and "it is a ZIP archive or Office document" in message


def test_binary_data_under_a_text_extension_is_refused(tmp_path):
    message = _refusal(_write(tmp_path, "data.txt", b"looks like text\x00\x01\x02 until here"))
    assert "'data.txt' holds binary data, so it is not a text file" in message


def test_undecodable_bytes_without_nul_are_refused(tmp_path):
    message = _refusal(_write(tmp_path, "noise.md", bytes(range(1, 256)) * 40))
    assert "'noise.md' is not readable text" in message and "UTF-8" in message


def test_pdf_that_is_not_a_pdf_is_refused(tmp_path):
    message = _refusal(_write(tmp_path, "fake.pdf", "Just some text pretending."))
    assert "'fake.pdf' is not a PDF (it does not start with %PDF-)" in message


def test_damaged_pdf_is_refused_as_unreadable(tmp_path):
    message = _refusal(_write(tmp_path, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Cat"))
    assert "'broken.pdf' is an unreadable PDF" in message


def test_password_protected_pdf_is_refused(tmp_path):
    path = _write(tmp_path, "secret.pdf", _encrypted(_pdf(_show("Hidden.")), "secret"))
    assert "'secret.pdf' is password-protected" in _refusal(path)


def test_aes_256_pdf_with_a_user_password_is_refused(tmp_path):
    pdf = _encrypted(_pdf(_show("Hidden.")), "secret", algorithm="AES-256")
    assert "'secret.pdf' is password-protected" in _refusal(_write(tmp_path, "secret.pdf", pdf))


def test_pdf_with_too_many_pages_is_refused(tmp_path):
    path = _write(tmp_path, "long.pdf", _pdf(*[_show(f"Page {n}") for n in range(3)]))
    assert "'long.pdf' has 3 pages; at most 2 are accepted" in _refusal(
        path, Limits(max_pdf_pages=2)
    )


def test_scanned_pdf_without_a_text_layer_is_refused(tmp_path):
    path = _write(tmp_path, "scan.pdf", _pdf(b"0 0 m 200 200 l S", b"q 1 0 0 1 0 0 cm Q"))
    assert "'scan.pdf' has no text layer" in _refusal(path)


@pytest.mark.parametrize("name", ["many.pdf", "many.md"])
def test_too_much_text_is_refused(tmp_path, name):
    pages = [_show("A sentence of forty characters, or so. " * 3) for _ in range(5)]
    content = _pdf(*pages) if name.endswith(".pdf") else "words " * 100
    message = _refusal(_write(tmp_path, name, content), Limits(max_chars=200))
    assert f"'{name}' holds more than 200 characters of text" in message


def test_pdf_bomb_is_refused_quickly_and_in_bounded_memory(tmp_path):
    packer, chunk = zlib.compressobj(9), b"0 0 Td " * 150_000  # ~1 MB
    stream = b"".join(packer.compress(chunk) for _ in range(110)) + packer.flush()
    assert len(stream) < 200_000  # 110 MB once inflated
    path = _write(tmp_path, "bomb.pdf", _pdf(stream, flate=True))
    tracemalloc.start()
    started = time.monotonic()
    try:
        message = _refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "'bomb.pdf' holds more data than is safe to unpack (it may be a 'PDF bomb')" in message
    assert time.monotonic() - started < 5
    assert peak < 80 * 1024 * 1024


def test_slow_pdf_is_stopped_at_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_text, "_PDF_SECONDS", -1.0)
    path = _write(tmp_path, "slow.pdf", _pdf(_show("Fine text.")))
    assert "'slow.pdf' took more than -1 s to read" in _refusal(path)


# --- safe_name ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\win.md", "win.md"),
        ("C:\\x\\report.PDF", "report.pdf"),
        ("D:notes.txt", "notes.txt"),
        (".hidden.md", "hidden.md"),
        ("ré sumé (1).md", "r-sum-1.md"),
        ("ｆｕｌｌ／ｗｉｄｔｈ.md", "width.md"),  # NFKC first: the fullwidth slash is a separator
        ("a" * 300 + ".md", "a" * 97 + ".md"),
        ("page.HTM", "page.htm"),
    ],
)
def test_safe_name(original, expected):
    assert safe_name(original) == expected


def test_safe_name_keeps_names_in_other_scripts_apart():
    first, second = safe_name("报告.pdf"), safe_name("概要.pdf")
    assert re.fullmatch(r"document-[0-9a-f]{8}\.pdf", first) and first != second


@pytest.mark.parametrize("original", ["", "....", "x.exe", ".md", "C:\\", "--.md"])
def test_safe_name_refuses_unusable_names(original):
    with pytest.raises(DocumentError, match="not accepted|no usable file name"):
        safe_name(original)
