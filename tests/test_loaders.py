"""Uploaded documents become Markdown with a '# Title' line, or are refused with a clear message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.errors import DocumentError
from documents.loaders import Limits, safe_name, to_markdown
from tests.document_files import make_pdf, refusal, show, write

UNUSUAL = "Emoji 👩🏽‍💻 🎉, Hebrew שלום עולם, Arabic مرحبا, combining e\u0301 and n\u0303."


# --- accepted documents -------------------------------------------------------------------------


def test_markdown_keeps_its_heading_sections_and_unusual_unicode(tmp_path):
    text = f"# Widget Guide\r\n\r\nIntro.\x07\r\n\r\n## Setup\r\n{UNUSUAL}\n\n### Fuse\rUse 2 A.\n"
    result = to_markdown(write(tmp_path, "guide.md", text))
    assert result == f"# Widget Guide\n\nIntro.\n\n## Setup\n{UNUSUAL}\n\n### Fuse\nUse 2 A."


def test_markdown_without_a_title_gets_one_from_the_file_name(tmp_path):
    path = write(tmp_path, "upload-1234", "## Part one\nSome text.")
    result = to_markdown(path, name="C:\\docs\\install_guide.MARKDOWN")
    assert result == "# Install guide\n\n## Part one\nSome text."


def test_markdown_front_matter_title_and_underlined_headings(tmp_path):
    text = (
        "---\ntitle: 'Handbook'\ndate: 2024\n---\nIntro.\n\nOverview\n========\n\nBody.\n\n"
        "Details\n-------\nMore.\n\n```\n\nnot a heading\n===\n```\n"
    )
    result = to_markdown(write(tmp_path, "h.md", text))
    assert result.startswith("# Handbook\n\nIntro.\n\n# Overview\n\nBody.\n\n## Details\nMore.")
    assert "date: 2024" not in result
    assert "\nnot a heading\n===\n" in result  # inside a code fence


def test_plain_text_gets_a_title_and_loses_control_characters(tmp_path):
    path = write(tmp_path, "meeting_notes.txt", b"First line\x1b[0m\r\nSecond\tline\x0c\x7f")
    assert to_markdown(path) == "# Meeting notes\n\nFirst line[0m\nSecond\tline"


def test_plain_text_with_its_own_heading_keeps_it(tmp_path):
    path = write(tmp_path, "notes.txt", "\n# Release 2.0\n\nFaster start-up.\n")
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
    assert to_markdown(write(tmp_path, "a.txt", raw)) == "# A\n\nCafé “quoted” naïve"


@pytest.mark.parametrize("name", ["report.docx", "setup.exe", "README"])
def test_other_file_types_are_refused(tmp_path, name):
    message = refusal(write(tmp_path, name, "text"))
    assert f"'{name}'" in message and "not accepted" in message
    assert "upload PDF, Markdown, text or HTML" in message
    assert (".docx files" in message) == name.endswith(".docx")


def test_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.md"
    with path.open("wb") as file:
        file.truncate(11 * 1024 * 1024)  # sparse: 11 MB on paper, nothing on disk
    monkeypatch.setattr(Path, "open", lambda *a, **k: pytest.fail("read an oversized file"))
    message = refusal(path)
    assert "'big.md' is 11.0 MB" in message and "limit of 10 MB" in message
    assert "APP_MAX_UPLOAD_MB" in message


def test_custom_size_limit_is_applied(tmp_path):
    path = write(tmp_path, "a.md", "x" * (3 * 1024 * 1024 // 2))
    assert "is 1.5 MB, over the upload limit of 1 MB" in refusal(path, Limits(max_bytes=2**20))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.md", "", "'empty.md' is empty"),
        ("blank.txt", " \n\t\r\n", "'blank.txt' has no text left after conversion"),
        ("script.html", "<script>x()</script><style>p{}</style>", "no text left"),
    ],
)
def test_documents_without_text_are_refused(tmp_path, name, content, expected):
    assert expected in refusal(write(tmp_path, name, content))


@pytest.mark.parametrize("name", ["notes.md", "paper.pdf", "page.html"])
def test_zip_or_office_file_under_another_name_is_refused(tmp_path, name):
    message = refusal(write(tmp_path, name, b"PK\x03\x04\x14\x00\x06\x00word/document.xml"))
    assert f"'{name}' is not a" in message and "it is a ZIP archive or Office document" in message


def test_binary_data_under_a_text_extension_is_refused(tmp_path):
    message = refusal(write(tmp_path, "data.txt", b"looks like text\x00\x01\x02 until here"))
    assert "'data.txt' holds binary data, so it is not a text file" in message


def test_undecodable_bytes_without_nul_are_refused(tmp_path):
    message = refusal(write(tmp_path, "noise.md", bytes(range(1, 256)) * 40))
    assert "'noise.md' is not readable text" in message and "UTF-8" in message


@pytest.mark.parametrize("name", ["many.pdf", "many.md"])
def test_too_much_text_is_refused(tmp_path, name):
    pages = [show("A sentence of forty characters, or so. " * 3) for _ in range(5)]
    content = make_pdf(*pages) if name.endswith(".pdf") else "words " * 100
    message = refusal(write(tmp_path, name, content), Limits(max_chars=200))
    assert f"'{name}' holds more than 200 characters of text" in message


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
