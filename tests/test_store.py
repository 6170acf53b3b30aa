"""The document store as the add_documents command uses it: folders expanded to the files of an
accepted type, files added (a same-named one replaced), documents removed, and every refusal
reported with its reason while the rest goes ahead."""

from __future__ import annotations

from common.config import Config
from documents.loaders import accepted_files
from documents.store import Documents


def _store(tmp_path) -> Documents:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lease.md").write_text("# Lease\n\nThe lease runs for 36 months.\n")
    return Documents(Config(corpus_dir=str(corpus), data_dir=str(tmp_path / "data")))


def test_a_folder_becomes_its_accepted_files(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.md", "sub/a.txt", "setup.exe", "notes.PDF"):
        (folder / name).write_bytes(b"x")
    named = tmp_path / "named.docx"  # a file named on its own is kept: the store refuses it
    found = accepted_files([str(folder), str(named)])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "in/b.md",
        "in/notes.PDF",
        "in/sub/a.txt",
        "named.docx",
    ]


def test_edit_adds_replaces_removes_and_reports_each_refusal(tmp_path):
    documents = _store(tmp_path)
    price = tmp_path / "price-list.md"
    price.write_text("# Price list\n\nThe HX-40 costs EUR 135.\n")
    changes, refusals = documents.edit([price, tmp_path / "missing.md"], ["lease.md"])
    assert [(c.action, c.path) for c in changes] == [("added", "uploads/price-list.md")]
    assert refusals[0] == f"not added: {tmp_path / 'missing.md'}: no such file"
    assert refusals[1].startswith("not removed: lease.md is part of the corpus folder")
    price.write_text("# Price list\n\nThe HX-40 costs EUR 140.\n")
    changes, refusals = documents.edit([price], [])  # the operator's copy replaces the old one
    assert [(c.action, c.path) for c in changes] == [("replaced", "uploads/price-list.md")]
    assert not refusals and "EUR 140" in documents.locate("uploads/price-list.md").read_text()
    changes, refusals = documents.edit([], ["uploads/price-list.md"])
    assert [(c.action, c.path) for c in changes] == [("removed", "uploads/price-list.md")]
    assert documents.locate("uploads/price-list.md") is None and not refusals
