"""Shared command-line plumbing for scripts: a dataclass's fields as --flags, each with its
meaning (the comment after the field) and its default in --help."""

from __future__ import annotations

import argparse
import inspect
import re
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")
_FIELD = re.compile(r"^\s+(\w+)\s*:[^#]*#\s*(.+)$")


def field_help(cls: type) -> dict[str, str]:
    """Each field's meaning: the comment on its line, and on the comment lines right above it.
    Read from the source because that is where the meaning is written once (argparse and
    dataclasses have no place for it; field metadata would write it a second time)."""
    helps: dict[str, str] = {}
    above: list[str] = []
    for line in inspect.getsource(cls).splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("# "))
            continue
        name = re.match(r"^\s+(\w+)\s*:", line)
        match = _FIELD.match(line)
        text = " ".join(above + ([match.group(2)] if match else []))
        if name and text:
            helps[name.group(1)] = text
        above = []
    return helps


def parse_dataclass(cls: type[T], description: str, argv: list[str] | None = None) -> T:
    """Parse --flags named after the dataclass fields (underscores become dashes)."""
    parser = argparse.ArgumentParser(description=description)
    helps = field_help(cls)
    for f in fields(cls):  # type: ignore[arg-type]
        kind: Any = {"int": int, "float": float, "str": str}.get(str(f.type), str)
        default = f.default if f.default is not MISSING else None
        meaning = helps.get(f.name, "")
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=kind,
            default=default,
            help=f"{meaning} (default: {default!r})".strip(),
        )
    return cls(**vars(parser.parse_args(argv)))
