"""Values a client sends that Gradio's own checks refuse (a choice not offered, a file that was
not uploaded, a number that is not one): one log line and a clear message, not a traceback.

Gradio prints a full traceback for every such refusal, which buries real bugs in a public
app's log; its only hook is the exception type, so the check is wrapped here.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

log = logging.getLogger(__name__)


class Blocks(gr.Blocks):
    """gr.Blocks whose refused inputs are expected events: logged in one line, told to the user
    in one sentence. Exceptions in the handlers themselves keep their tracebacks (bugs)."""

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], *args: Any, **kwargs: Any):
        try:
            return await super().preprocess_data(block_fn, inputs, *args, **kwargs)
        except Exception as exc:
            reason = first_line(exc)
            name = getattr(block_fn, "api_name", None) or getattr(block_fn, "name", "?")
            log.info("refused a value sent to %s: %s", name, reason)
            raise gr.Error(f"Refused: {reason}", print_exception=False) from None


def first_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's message, first line only, cut to `limit` characters."""
    text = (getattr(exc, "message", None) or str(exc) or type(exc).__name__).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"
