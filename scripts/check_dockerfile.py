"""Run what the Dockerfile runs, without Docker, and check that its health check passes.

    python -m scripts.check_dockerfile                      # about 17 minutes on 2 cores
    python -m scripts.check_dockerfile --torch-index-url "" # where download.pytorch.org is
                                                            # unreachable: torch from pip's index

Reads the Dockerfile and, in a fresh virtual environment under --work (default: a new temporary
folder), runs its `pip install` commands with the build stage's ENV (so llama-cpp-python builds
from source as in the image), then its `python` build commands with the image's ENV and a fresh
APP_DATA_DIR, then its CMD on a free port, and runs its HEALTHCHECK command until it passes. Then
the default model answers a few test questions through every column (scripts.evaluate), the app
is stopped and the health check must fail. Each step is timed. Not checked, for want of a Docker
engine: the base image, the apt packages, the users and file ownership.
Not run by CI (it takes minutes); run it after changing the Dockerfile or requirements.txt.
"""

from __future__ import annotations

import argparse

from common.logs import setup
from deploy.image import check_image


def main(argv: list[str] | None = None) -> None:
    setup()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="", help="folder for the venv and data (default: temp)")
    parser.add_argument(
        "--torch-index-url",
        default=None,
        help="replace the --index-url of the Dockerfile's pip commands ('' = drop it; "
        "default: keep it)",
    )
    parser.add_argument(
        "--questions",
        type=int,
        default=3,
        help="test questions every column answers once healthy (0 = none; default: %(default)s)",
    )
    args = parser.parse_args(argv)
    timings = check_image(args.work, args.torch_index_url, args.questions)
    print("\n| step | seconds |\n|---|---|")
    for step, seconds in timings.items():
        print(f"| `{step}` | {seconds:.1f} |")


if __name__ == "__main__":
    main()
