"""The files the measurements read and write: the test questions they ask, and their results as
JSON in the data folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluation.run import DEFAULT_SETS

# data/qa/test.jsonl, the answerable questions the evaluation asks first
TEST_SET = Path(DEFAULT_SETS[0])


def write_json(results: dict[str, Any], out: str, default: Path) -> Path:
    """`results` as indented JSON in the file `out`, or in `default` when `out` is empty; its
    folder is made if needed. The file written."""
    path = Path(out) if out else default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    return path
