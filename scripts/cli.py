"""Shared command-line plumbing for scripts: a dataclass's fields as --flags."""

from __future__ import annotations

import argparse
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def parse_dataclass(cls: type[T], description: str, argv: list[str] | None = None) -> T:
    """Parse --flags named after the dataclass fields (underscores become dashes)."""
    parser = argparse.ArgumentParser(description=description)
    for f in fields(cls):  # type: ignore[arg-type]
        kind: Any = {"int": int, "float": float, "str": str}.get(str(f.type), str)
        default = f.default if f.default is not MISSING else None
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=kind,
            default=default,
            help=f"(default: {default})",
        )
    return cls(**vars(parser.parse_args(argv)))
