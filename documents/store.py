"""The documents RAG answers from: the corpus folder plus the user's own, kept in the data folder.

Own documents live under `<APP_DATA_DIR>/documents/`: uploads as `uploads/<name>.md` (see
`upload_path`), and edited copies of corpus documents under the corpus document's own path,
where they take its place (the corpus folder itself is never written). Removing an edited copy
brings the original back.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from common.config import Config
from common.errors import DocumentError
from common.files import inside, replace_atomically
from documents.chunks import CorpusFile, read_corpus, title_of
from documents.loaders import Limits, safe_name, to_markdown

log = logging.getLogger(__name__)

UPLOADS = "uploads"  # folder (and path prefix) of uploaded documents


@dataclass(frozen=True)
class DocInfo:
    path: str  # as sources name it, e.g. "legal/sla.md" or "uploads/price-list.md"
    title: str
    origin: str  # "corpus", "edited" (own copy of a corpus document) or "uploaded"
    chars: int


@dataclass(frozen=True)
class Change:
    path: str
    action: str  # "added", "replaced" (an upload of the same name), "updated", "removed", ...
    kept: str | None = None  # an upload of the same name kept beside this one


def upload_path(name: str) -> str:
    """Where an upload named `name` is stored: `uploads/<safe name>.md`, lower case, its type
    kept in the name unless it is Markdown ("Report.pdf" -> "uploads/report.pdf.md"), so that
    files of different names never share a path. Raises DocumentError for an unusable name."""
    safe = safe_name(name).lower()
    stem = safe.removesuffix(".md")
    if stem == "readme":  # README files describe a folder and are not indexed
        stem = f"{stem}-document"
    return f"{UPLOADS}/{stem}.md"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Documents:
    """The merged document set, and the ways to change the user's part of it."""

    def __init__(self, config: Config) -> None:
        self.corpus = Path(config.corpus_dir)
        self.own = config.data_path / "documents"
        self.limits = Limits(max_bytes=config.max_upload_bytes)

    def files(self) -> list[CorpusFile]:
        """Every document, in a stable order; an own copy replaces the corpus document."""
        merged = {f.path: f for f in read_corpus(self.corpus)}
        merged.update({f.path: f for f in read_corpus(self.own)})
        return [merged[path] for path in sorted(merged)]

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """Cheap fingerprint (paths, sizes, modification times) that changes with any edit."""
        stats = []
        for root in (self.corpus, self.own):
            for path in sorted(root.rglob("*")) if root.is_dir() else ():
                if path.is_file():
                    info = path.stat()
                    stats.append((str(path), info.st_size, info.st_mtime_ns))
        return tuple(stats)

    def listing(self) -> list[DocInfo]:
        infos = []
        for file in self.files():  # reads each folder once; the origin needs only a stat
            if not (self.own / file.path).is_file():
                origin = "corpus"
            else:
                origin = "edited" if (self.corpus / file.path).is_file() else "uploaded"
            infos.append(DocInfo(file.path, title_of(file), origin, len(file.text)))
        return infos

    def locate(self, path: str) -> Path | None:
        """The file behind a document path (own copy first), or None."""
        for root in (self.own, self.corpus):
            candidate = inside(root, path)
            if candidate is not None and candidate.is_file():
                return candidate
        return None

    def add(self, upload: Path, name: str | None = None, replace: bool = False) -> Change:
        """Convert an uploaded file and store it under `upload_path(name)`. A document already
        stored there (the same name) is replaced only with `replace`; otherwise both are kept,
        the new one under a numbered name."""
        name = name or upload.name
        text = to_markdown(upload, self.limits, name)
        path = upload_path(name)
        taken = (self.own / path).is_file()
        if taken and not replace:
            path = self._free_name(path)
        duplicate = self._same_text(text, path)
        if duplicate:
            raise DocumentError(f"{name}: the same text is already in the index as {duplicate}.")
        self._write(path, text)
        if taken and replace:
            return Change(path, "replaced")
        return Change(path, "added", upload_path(name) if taken else None)

    def edit(self, add: list[Path], remove: list[str]) -> tuple[list[Change], list[str]]:
        """Store each file of `add` as the operator adds it (one of the same name is replaced),
        then remove the documents named in `remove`: the changes made, and why each file or
        name was refused."""
        changes, refusals = [], []
        for path in add:
            try:
                if not path.is_file():
                    raise DocumentError(f"{path}: no such file")
                changes.append(self.add(path, replace=True))
            except DocumentError as exc:
                refusals.append(f"not added: {exc}")
        for name in remove:
            try:
                changes.append(self.remove(name))
            except DocumentError as exc:
                refusals.append(f"not removed: {exc}")
        return changes, refusals

    def save(self, path: str, text: str) -> Change:
        """Store an edited version of a document (for a corpus document: an own copy)."""
        text = (text if isinstance(text, str) else "").replace("\r\n", "\n").strip() + "\n"
        if not text.strip():
            raise DocumentError(f"{path}: the text is empty; use Remove to delete a document.")
        if len(text.encode("utf-8")) > self.limits.max_bytes:
            raise DocumentError(f"{path}: the text is larger than the upload limit.")
        if self.locate(path) is None:
            raise DocumentError(f"{path}: no such document.")
        self._write(path, text)
        return Change(path, "updated")

    def remove(self, path: str) -> Change:
        """Delete an uploaded document, or drop an edited copy so the original comes back."""
        own = inside(self.own, path)
        if own is None or not own.is_file():
            if self.locate(path) is not None:
                raise DocumentError(
                    f"{path} is part of the corpus folder (APP_CORPUS_DIR); the app does not "
                    "delete it. Remove the file there, or edit it here."
                )
            raise DocumentError(f"{path}: no such document.")
        own.unlink()
        log.info("removed own document %s", path)
        shipped = inside(self.corpus, path)
        return Change(path, "restored" if shipped and shipped.is_file() else "removed")

    def _free_name(self, path: str) -> str:
        """`path` with the first free number: uploads/report-2.md, -3, ..."""
        stem = path.removesuffix(".md")
        number = 2
        while (self.own / f"{stem}-{number}.md").is_file():
            number += 1
        return f"{stem}-{number}.md"

    def _same_text(self, text: str, except_path: str) -> str | None:
        digest = text_hash(text)
        return next(
            (f.path for f in self.files() if f.path != except_path and text_hash(f.text) == digest),
            None,
        )

    def _write(self, path: str, text: str) -> None:
        out = inside(self.own, path)
        if out is None:
            raise DocumentError(f"{path}: not a valid document path.")
        replace_atomically(out, lambda partial: partial.write_text(text, encoding="utf-8"))
        log.info("stored own document %s (%d characters)", path, len(text))
