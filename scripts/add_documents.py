"""Add documents (PDF, Markdown, text, HTML) to the RAG index, list them, or remove them.

    python -m scripts.add_documents PATH...           # files, or folders of files
    python -m scripts.add_documents --list
    python -m scripts.add_documents --remove uploads/price-list.md

The same as the app's Documents tab: documents are stored in APP_DATA_DIR/documents and the index
is updated (only new or changed documents are embedded). A running app picks them up on its next
question. Exit status 1 if any file was refused.
"""

from __future__ import annotations

import argparse
import logging

from common.config import Config
from common.logs import setup, tqdm_progress
from documents.loaders import accepted_files
from pipelines.resources import Resources

log = logging.getLogger("add_documents")


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders to add")
    parser.add_argument(
        "--remove",
        nargs="+",
        default=[],
        metavar="DOCUMENT",
        help="remove documents by their path in the index, e.g. uploads/price-list.md",
    )
    parser.add_argument("--list", action="store_true", help="list the indexed documents")
    args = parser.parse_args(argv)
    if not (args.paths or args.remove or args.list):
        parser.error("name files to add, --remove DOCUMENT or --list")
    resources = Resources(Config.from_env(), progress=tqdm_progress())
    changes, refusals = resources.documents.edit(accepted_files(args.paths), args.remove)
    for change in changes:
        log.info("%s %s", change.action, change.path)
    for refusal in refusals:
        log.error(refusal)
    index = resources.index()
    if args.list:
        for doc in resources.documents.listing():
            chunks = index.documents.get(doc.path, {}).get("chunks", 0)
            print(f"{doc.path}\t{doc.origin}\t{chunks} chunks\t{doc.title}")
    log.info("index: %d chunks from %d documents", index.size, len(index.documents))
    raise SystemExit(1 if refusals else 0)


if __name__ == "__main__":
    main()
