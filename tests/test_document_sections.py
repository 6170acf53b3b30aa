"""Finding the fact to edit in a long document and editing one section of it: the rest of the
document stays byte-identical, and bad input is refused with nothing written."""

from __future__ import annotations

import pytest

from common.config import Config
from common.errors import DocumentError
from documents.store import Documents
from ui.doc_sections import TOP, by_section, find, section_text, sections, splice
from ui.section_editor import WHOLE, open_part, reopen, save_edit, search

TEXT = """Preamble line.

# Terms

## 3.4 Trial subscriptions
The trial lasts 30 days and is limited to 3 Gateways.

Trials are provided "as is".


## 3.5 Notice
```
# not a heading: a comment in a code block
```
The notice period is 60 days.
"""


@pytest.fixture
def documents(tmp_path) -> Documents:
    corpus = tmp_path / "corpus" / "legal"
    corpus.mkdir(parents=True)
    (corpus / "terms.md").write_text(TEXT, encoding="utf-8")
    return Documents(Config(corpus_dir=str(corpus.parent), data_dir=str(tmp_path / "data")))


def test_sections_cut_at_headings_outside_code_and_cover_the_whole_text():
    cut = sections(TEXT)
    assert [s.title for s in cut] == [TOP, "Terms", "3.4 Trial subscriptions", "3.5 Notice"]
    assert "".join(TEXT[s.start : s.end] for s in cut) == TEXT
    assert cut[2].line == 5 and cut[2].label == "3.4 Trial subscriptions · line 5"
    assert section_text(TEXT, cut[2]).endswith('provided "as is".')


def test_find_lists_the_lines_with_every_word_else_the_best_partial_matches():
    hits, complete = find(TEXT, "TRIAL days")
    assert complete and [(h.section.title, h.line) for h in hits] == [
        ("3.4 Trial subscriptions", 6)
    ]
    partial, complete = find(TEXT, "notice weeks")
    assert not complete and {h.line for h in partial} == {11, 15}  # "notice" alone
    assert [s.title for s, _ in by_section(partial)] == ["3.5 Notice"]
    assert find(TEXT, "   ") == ([], False)
    long_line = "word " * 40 + "needle " + "word " * 40
    (hit,), _ = find(long_line, "needle")
    assert "needle" in hit.snippet and len(hit.snippet) < 120 and hit.snippet.startswith("…")


def test_splicing_a_section_keeps_the_rest_byte_identical():
    part = sections(TEXT)[2]
    edited = section_text(TEXT, part).replace("30 days", "45 days") + "\r\n\r\n"
    out = splice(TEXT, part, edited)
    assert out == TEXT.replace("30 days", "45 days")


def test_saving_a_section_goes_through_the_save_path_and_keeps_the_rest(documents):
    _, shown, loaded = open_part(documents, "legal/terms.md", "2")
    assert shown.startswith("## 3.4 Trial") and "notice period" not in shown
    change, start = save_edit(
        documents, "legal/terms.md", shown.replace("30 days", "45 days"), loaded
    )
    assert change.action == "updated" and start == sections(TEXT)[2].start
    own = documents.own / "legal/terms.md"
    assert own.read_bytes() == TEXT.replace("30 days", "45 days").encode()
    picker, shown, loaded = reopen(documents, "legal/terms.md", start)  # the editor after saving
    assert shown.startswith("## 3.4") and "45 days" in shown and loaded["number"] == 2
    assert picker.value == "2"


def test_bad_section_edits_are_refused_and_nothing_is_written(documents):
    _, shown, loaded = open_part(documents, "legal/terms.md", "2")
    own = documents.own / "legal/terms.md"
    for body, message in [
        ("  \n", "is empty: nothing was saved"),
        (shown + "\n\n", "Nothing changed"),
    ]:
        with pytest.raises(DocumentError, match=message):
            save_edit(documents, "legal/terms.md", body, loaded)
    with pytest.raises(DocumentError, match="holds legal/terms.md, not legal/other.md"):
        save_edit(documents, "legal/other.md", shown, loaded)
    assert not own.exists()
    # Someone else saved the document meanwhile: the section is not put back over it.
    documents.save("legal/terms.md", TEXT.replace("as is", "as they are"))
    before = own.read_bytes()
    with pytest.raises(DocumentError, match="changed since you opened this section"):
        save_edit(documents, "legal/terms.md", shown.replace("30", "45"), loaded)
    assert own.read_bytes() == before


def test_the_whole_document_is_still_saved_as_before(documents):
    _, shown, loaded = open_part(documents, "legal/terms.md", WHOLE)
    assert shown == TEXT and loaded["number"] is None
    change, start = save_edit(documents, "legal/terms.md", "# New\n\nAll new.", loaded)
    assert start is None and (documents.own / "legal/terms.md").read_text() == "# New\n\nAll new.\n"


def test_the_search_says_what_it_found_or_why_not(documents):
    summary, hits = search(documents, "legal/terms.md", "trial days")
    assert summary.startswith("1 line in 1 section holds “trial days”")
    assert hits.choices[0][1] == "2" and "3.4 Trial subscriptions" in hits.choices[0][0]
    assert "Pick a document first" in search(documents, None, "trial")[0]
    assert "Type a word or two" in search(documents, "legal/terms.md", "  ")[0]
    assert "No line of **legal/terms.md** holds" in search(documents, "legal/terms.md", "zebra")[0]
