"""The rules every APP_* value must meet, with the allowed values named in the error message.
Kept apart from the Config dataclass so that each file reads as one thing: the settings there,
their checks here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def auth_pairs(value: str) -> list[tuple[str, str]]:
    """APP_AUTH as Gradio's launch(auth=...) takes it: (user, password) pairs; [] = no login.
    A password may hold ':' (the first one ends the user name) but not ','."""
    pairs = []
    for item in value.split(","):
        user, _, password = item.partition(":")
        pairs.append((user.strip(), password))
    return pairs if value.strip() else []


def _is_auth(value: str) -> bool:
    pairs = auth_pairs(value)
    users = [user for user, _ in pairs]
    return all(user and password for user, password in pairs) and len(set(users)) == len(users)


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


def _has_space(value: str) -> bool:
    return any(ch.isspace() for ch in value)


def _is_chroma_url(value: str) -> bool:
    """Empty, or scheme://host[:port] and nothing more: the client takes host, port and ssl."""
    parts = urlsplit(value)
    try:
        port = parts.port  # raises on a port that is not a number from 0 to 65535
    except ValueError:
        return False
    plain = parts.path in ("", "/") and not (parts.query or parts.fragment or parts.username)
    plain = plain and port != 0
    return not value or (is_http_url(value) and bool(parts.hostname) and plain)


SECRETS = {"openai_api_key", "auth"}  # never shown, not even in the message about an invalid value

RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "top_k": (lambda c: 1 <= c.top_k <= 50, "an integer from 1 to 50"),
    "retrieval": (lambda c: c.retrieval in ("hybrid", "dense"), "hybrid or dense"),
    "rag_context": (lambda c: c.rag_context in ("evidence", "chunks"), "evidence or chunks"),
    "evidence_sentences": (
        lambda c: 1 <= c.evidence_sentences <= 20,
        "an integer from 1 to 20",
    ),
    "rag_min_score": (lambda c: 0.0 <= c.rag_min_score < 1.0, "a number from 0 to below 1"),
    "rag_follow_up_below": (
        lambda c: 0.0 <= c.rag_follow_up_below <= 1.0,
        "a number from 0 (never search the previous question) to 1 (always)",
    ),
    "rag_support_check": (
        lambda c: c.rag_support_check in ("decline", "mark", "off"),
        "decline, mark or off",
    ),
    "rag_name_check": (lambda c: c.rag_name_check in (0, 1), "0 (off) or 1 (on)"),
    "rag_max_new_tokens": (
        lambda c: 1 <= c.rag_max_new_tokens <= 4096,
        "an integer from 1 to 4096",
    ),
    "chunk_size": (
        lambda c: 100 <= c.chunk_size <= 20_000,
        "an integer from 100 to 20000 (characters)",
    ),
    "chunk_overlap": (
        lambda c: 0 <= c.chunk_overlap < c.chunk_size,
        "an integer from 0 to APP_CHUNK_SIZE - 1",
    ),
    "max_new_tokens": (
        lambda c: 1 <= c.max_new_tokens <= 4096,
        "an integer from 1 to 4096",
    ),
    "temperature": (
        lambda c: 0.0 <= c.temperature <= 2.0,
        "a number from 0 to 2 (0 = greedy)",
    ),
    "engine": (
        lambda c: c.engine in ("auto", "transformers", "llama.cpp"),
        "auto, transformers or llama.cpp",
    ),
    "dtype": (
        lambda c: c.dtype in ("auto", "float32", "bfloat16"),
        "auto, float32 or bfloat16",
    ),
    "max_batch": (lambda c: 1 <= c.max_batch <= 64, "an integer from 1 to 64"),
    "threads": (lambda c: 0 <= c.threads <= 512, "0 (every core) or a number of threads"),
    "backend": (lambda c: c.backend in ("local", "openai"), "local or openai"),
    "openai_base_url": (
        lambda c: (
            is_http_url(c.openai_base_url) or (c.backend == "local" and not c.openai_base_url)
        ),
        "an http:// or https:// URL of the server's API root, e.g. http://127.0.0.1:8000/v1 "
        "(required with APP_BACKEND=openai)",
    ),
    "openai_model": (
        lambda c: not _has_space(c.openai_model),
        "a model name the server serves, without spaces; empty = the server's first model",
    ),
    "openai_lora_model": (
        lambda c: not _has_space(c.openai_lora_model),
        "the name the server serves the LoRA adapter under, without spaces; empty = none",
    ),
    "openai_api_key": (
        lambda c: not _has_space(c.openai_api_key),
        "the server's API key, without spaces or line breaks; empty = none",
    ),
    "training": (
        lambda c: c.training in ("auto", "on", "off"),
        "auto (on, unless the app listens beyond this machine without APP_AUTH), on or off",
    ),
    "blind": (
        lambda c: c.blind in ("auto", "on", "off"),
        "auto (on where the app listens beyond this machine without APP_AUTH), on or off",
    ),
    "eval_dirs": (
        lambda c: all(Path(item).expanduser().is_dir() for item in items(c.eval_dirs)),
        "empty, or existing folders separated by commas",
    ),
    "eval_max_questions": (
        lambda c: 0 <= c.eval_max_questions <= 100_000,
        "0 (no cap) or the most questions a visitor's evaluation may ask",
    ),
    "max_upload_mb": (lambda c: 0 < c.max_upload_mb <= 1024, "a number of MB from 0 to 1024"),
    "chroma_url": (
        lambda c: _is_chroma_url(c.chroma_url),
        "empty (the embedded index in APP_DATA_DIR) or a Chroma server's http:// or https:// "
        "URL without path, e.g. http://127.0.0.1:8000 (the port defaults to 8000)",
    ),
    "auth": (
        lambda c: _is_auth(c.auth),
        "empty (no login) or user:password, several separated by commas, each with a user name "
        "and a password, no user named twice",
    ),
    "price_input_per_m": (lambda c: c.price_input_per_m >= 0, "a number >= 0"),
    "price_output_per_m": (lambda c: c.price_output_per_m >= 0, "a number >= 0"),
    "price_train_per_hour": (lambda c: c.price_train_per_hour >= 0, "a number >= 0"),
    "currency": (
        lambda c: bool(c.currency.strip()),
        "a currency label such as USD or EUR",
    ),
    "host": (
        lambda c: bool(c.host.strip()),
        "a host name or IP address, e.g. 127.0.0.1",
    ),
    "port": (lambda c: 1 <= c.port <= 65535, "an integer from 1 to 65535"),
}
