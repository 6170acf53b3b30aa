"""Catch trained weights up with the current documents by an incremental training run.

    python -m scripts.refresh [--epochs 3] [--replay 96]   # the LoRA adapter
    python -m scripts.refresh --method full                # the Retrained column's weights
    python -m scripts.refresh --reset 1     # serve the configured APP_ADAPTER again

Fact seeds whose evidence changed are re-anchored in the new text (training/refresh_data.py); the
weights the app serves continue training on those facts plus a replay sample of unchanged ones
(training/refresh.py). The result goes to APP_DATA_DIR/adapters/refresh-<time>/ (or
retrained/refresh-<time>/) with its card, and becomes what the app serves (a running app switches
to it when started from its Documents tab; otherwise at its next start). Progress is written to
APP_DATA_DIR/training/progress.json.
"""

from __future__ import annotations

from common.config import Config
from common.logs import setup
from scripts.cli import parse_dataclass
from training.refresh import RefreshArgs, run_command


def main(argv: list[str] | None = None) -> None:
    setup()
    args = parse_dataclass(RefreshArgs, __doc__.split("\n\n")[0], argv)
    if status := run_command(args, Config.from_env()):
        raise SystemExit(status)


if __name__ == "__main__":
    main()
