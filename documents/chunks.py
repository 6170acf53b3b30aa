"""Read the document folder and cut it into chunks that know their document and section."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document
from langchain_text_splitters import (
    MarkdownHeaderTextSplitter,
    RecursiveCharacterTextSplitter,
)

from documents.pages import PageTracker, page_numbers

SUFFIXES = (".md", ".markdown", ".txt")
_HEADERS = [("#", "title"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


@dataclass(frozen=True)
class CorpusFile:
    path: str  # relative to the corpus folder, with forward slashes
    text: str


def read_corpus(folder: Path) -> list[CorpusFile]:
    """Every text document under `folder`, in a stable order. README files describe the folder."""
    files = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in SUFFIXES and path.is_file() and path.stem.lower() != "readme":
            text = path.read_text(encoding="utf-8", errors="replace")
            files.append(CorpusFile(path.relative_to(folder).as_posix(), text))
    return files


def corpus_hash(files: list[CorpusFile], *settings: object) -> str:
    """Content hash of the corpus and of the settings that shape the index."""
    digest = hashlib.sha256()
    for item in (*settings, *[f"{f.path}\0{f.text}" for f in files]):
        digest.update(str(item).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def split(files: list[CorpusFile], chunk_size: int, chunk_overlap: int) -> list[Document]:
    """Split by Markdown headings, then by size. Metadata: document, title, section, chunk, and
    for a converted PDF the pages the chunk is on (documents/pages.py; marks taken out)."""
    by_heading = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True)
    by_size = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    chunks: list[Document] = []
    for file in files:
        title = title_of(file)
        pieces = by_size.split_documents(by_heading.split_text(file.text))
        tracker = PageTracker(page_numbers(file.text))
        number = 0
        for piece in pieces:
            paged = tracker.paged(piece.page_content)
            text = paged.text
            if not text.strip():
                continue
            meta = piece.metadata
            section = meta.get("h4") or meta.get("h3") or meta.get("h2") or ""
            chunks.append(
                Document(
                    # The embedder sees where a passage sits; the UI shows the passage itself.
                    page_content=f"{title} — {section}\n{text}".strip(),
                    metadata={
                        "document": file.path,
                        "title": title,
                        "section": section,
                        "chunk": number,
                        "text": text,
                        **paged.metadata(),
                    },
                )
            )
            number += 1
    return chunks


def title_of(file: CorpusFile) -> str:
    """The document's first '# ' heading, or a title made from its file name."""
    for line in file.text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return Path(file.path).stem.replace("-", " ").replace("_", " ").title()
