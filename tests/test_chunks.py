from pathlib import Path

from documents.chunks import corpus_hash, read_corpus, split

MANUAL = """# Widget Manual

Intro text.

## 1. Power

### 1.1 Supply
The widget needs 24 V DC. {filler}

### 1.2 Fuse
Use a 2 A fuse.

## 2. Network
Default port 8443.
"""


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_read_corpus_takes_text_documents_and_skips_readme(tmp_path):
    _write(tmp_path, "manual/widget.md", MANUAL)
    _write(tmp_path, "notes.txt", "plain text")
    _write(tmp_path, "README.md", "about the corpus")
    _write(tmp_path, "image.png", "not text")
    assert [f.path for f in read_corpus(tmp_path)] == ["manual/widget.md", "notes.txt"]


def test_chunks_know_document_title_and_deepest_section(tmp_path):
    _write(tmp_path, "manual/widget.md", MANUAL.format(filler=""))
    chunks = split(read_corpus(tmp_path), chunk_size=200, chunk_overlap=20)
    by_text = {c.metadata["text"]: c.metadata for c in chunks}
    assert by_text["Use a 2 A fuse."]["section"] == "1.2 Fuse"
    assert by_text["Default port 8443."]["section"] == "2. Network"
    assert all(m["title"] == "Widget Manual" for m in by_text.values())
    assert all(m["document"] == "manual/widget.md" for m in by_text.values())
    # The embedded text carries its location; the shown text is the passage alone.
    fuse = next(c for c in chunks if c.metadata["text"] == "Use a 2 A fuse.")
    assert fuse.page_content == "Widget Manual — 1.2 Fuse\nUse a 2 A fuse."


def test_long_sections_are_cut_to_the_chunk_size_with_overlap(tmp_path):
    filler = " ".join(f"word{i}" for i in range(400))
    _write(tmp_path, "manual/widget.md", MANUAL.format(filler=filler))
    chunks = [
        c for c in split(read_corpus(tmp_path), 300, 60) if c.metadata["section"] == "1.1 Supply"
    ]
    assert len(chunks) > 5
    assert all(len(c.metadata["text"]) <= 300 for c in chunks)
    first, second = chunks[0].metadata["text"], chunks[1].metadata["text"]
    assert first.split()[-1] in second  # overlap carries the boundary into the next chunk
    assert [c.metadata["chunk"] for c in chunks] == sorted(c.metadata["chunk"] for c in chunks)


def test_hash_changes_with_content_and_settings_only(tmp_path):
    _write(tmp_path, "a.md", "# A\n\n## 1. One\ntext")
    before = corpus_hash(read_corpus(tmp_path), 800, 120)
    assert corpus_hash(read_corpus(tmp_path), 800, 120) == before
    assert corpus_hash(read_corpus(tmp_path), 400, 120) != before
    _write(tmp_path, "a.md", "# A\n\n## 1. One\ntext changed")
    assert corpus_hash(read_corpus(tmp_path), 800, 120) != before
