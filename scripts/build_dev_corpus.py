"""Build the public dev corpus (Debian Policy Manual chapters and SQLite documentation pages, from
pinned Debian packages) and verify that every dev question's answer is verbatim in it.

    python -m scripts.build_dev_corpus                      # into APP_DATA_DIR/dev-corpus
    python -m scripts.build_dev_corpus --out /tmp/dev-corpus --cache /tmp/debs

Needs Debian's apt-get (run as root) and dpkg-deb; the .deb files are kept in --cache, so a second
build is offline. Exits 1 if a package cannot be fetched or any question fails verification.
Then evaluate the columns on it (the index is built on first use, apart from the app's own):

    python -m scripts.evaluate --corpus .data/dev-corpus --questions data/dev/questions.jsonl
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from common.config import Config
from common.logs import setup
from evaluation.dev_corpus import DEV_QUESTIONS, DevCorpusError, build, verify
from evaluation.run import load_questions

log = logging.getLogger("build_dev_corpus")


def main(argv: list[str] | None = None) -> int:
    setup()
    data = Config.from_env().data_path
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--out",
        default=str(data / "dev-corpus"),
        help="folder the documents are written to (a dev corpus built there before is replaced)",
    )
    parser.add_argument(
        "--cache", default=str(data / "dev-corpus-packages"), help="folder for the .deb packages"
    )
    parser.add_argument(
        "--questions", default=str(DEV_QUESTIONS), help="the question set to verify (JSONL)"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        sizes = build(out, Path(args.cache))
    except DevCorpusError as error:
        log.error("%s", error)
        return 1
    for kind, count in sorted(Counter(path.split("/")[0] for path in sizes).items()):
        chars = sum(size for path, size in sizes.items() if path.startswith(kind + "/"))
        log.info("%s/: %d documents, %s characters", kind, count, f"{chars:,}")
    questions = load_questions([Path(args.questions)])
    types = Counter(str(item.get("type")) for item in questions)
    log.info("%d questions: %s", len(questions), ", ".join(f"{n} {t}" for t, n in types.items()))
    problems = verify(questions, out)
    for problem in problems:
        log.error("%s", problem)
    if problems:
        log.error("%d problems in %d questions", len(problems), len(questions))
        return 1
    log.info("all %d questions verified against %s", len(questions), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
