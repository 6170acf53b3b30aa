"""Build (or rebuild, if the corpus changed) the persistent Chroma index of APP_CORPUS_DIR.

    python -m scripts.build_index [--model]

The app does the same on start; this command lets you do it ahead of time. With --model it also
loads the model once, so a GGUF model is converted and cached (what a container build wants).
"""

from __future__ import annotations

import argparse
import logging

from common.config import Config
from common.logs import setup, tqdm_progress
from pipelines.resources import Resources
from serving.cache import models_dir

log = logging.getLogger("build_index")


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        action="store_true",
        help="also load the model once, so a .gguf model is converted and cached",
    )
    args = parser.parse_args(argv)
    resources = Resources(Config.from_env(), progress=tqdm_progress())
    index = resources.index()
    log.info("index ready: %d chunks, corpus hash %s", index.size, index.corpus_hash[:12])
    if args.model:
        resources.engine()
        log.info("model loaded and cached under %s", models_dir(resources.config))


if __name__ == "__main__":
    main()
