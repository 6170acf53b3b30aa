"""Helpers for the Playwright tests: a free port, waiting for a server, asking, reading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.apps import free_port

COLUMNS = ("base", "rag", "lora")


def ask_all(page, question: str, timeout_s: float) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")
    # The first update empties the box and resets every column's stats in one go; waiting for
    # it keeps a follow-up from reading the previous answer's finished stats.
    page.wait_for_function("() => document.querySelector('#question textarea').value === ''")
    for name in COLUMNS:
        page.wait_for_function(
            """name => {
                const stats = document.querySelector('#stats-' + name);
                return stats && stats.innerText.includes('Cost')
                    && !stats.innerText.includes('generating');
            }""",
            arg=name,
            timeout=timeout_s * 1000,
        )


def read_column(page, name: str) -> dict[str, str]:
    return {
        "chat": page.inner_text(f"#chat-{name}"),
        "stats": page.inner_text(f"#stats-{name}"),
        "sources": page.locator(f"#sources-{name}").text_content() or "",
    }


def fill_and_leave(page, selector: str, value: str) -> None:
    """Type a value and leave the field, so that Gradio has it before the next click (a click
    right after typing sometimes ran with the old value)."""
    page.fill(selector, value)
    page.press(selector, "Tab")
    page.wait_for_timeout(300)


def wait_text(page, selector: str, text: str, timeout_s: float = 10) -> None:
    """Wait until the element's visible text contains `text`."""
    page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)",
        arg=[selector, text],
        timeout=timeout_s * 1000,
    )


@contextmanager
def served(demo, **options) -> Iterator[str]:
    """Serve a built app on a free local port for the duration; yields its URL. `options`
    go to `launch`."""
    port = free_port()
    demo.queue().launch(server_port=port, prevent_thread_lock=True, quiet=True, **options)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
