"""How the answer columns sit on the page. On a desktop side by side, five still in one row at
1400 px (the page widens for them). On a phone (up to NARROW_PX) one question's answers form a
row to swipe through (CSS scroll-snap) under a one-line summary of each column, so that the
comparison is on one screen instead of a page of stacked columns."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import gradio as gr
from gradio.blocks import Block, BlockContext

NARROW_PX = 640
COLUMN_MIN_PX = 220  # five columns and their gaps fit the 1,336 px a 1,400 px window leaves
SUMMARY_WORDS = 12

# In the page's <head> (the app's own CSS is given to launch(); this belongs to the columns).
# Only columns switched on are in the DOM, so a fifth child means five columns shown.
CSS = f"""
#answer-summary {{ display: none; }}
.gradio-container .app:has(#columns > .column:nth-child(5)) {{ max-width: 100%; }}
#answer-summary .summary-line {{
  display: flex; gap: 0.5em; width: 100%; padding: 0.3em 0.5em; text-align: left;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-sm);
  background: var(--block-background-fill); color: var(--body-text-color); cursor: pointer;
  font-size: 0.85em; margin-bottom: 0.25em;
}}
#answer-summary .summary-line b, #answer-summary .summary-line .latency {{ flex: none; }}
#answer-summary .summary-line .words {{
  flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}}
#answer-summary .summary-hint {{ font-size: 0.8em; color: var(--body-text-color-subdued); }}
@media (max-width: {NARROW_PX}px) {{
  #answer-summary {{ display: block; }}
  #columns, #examples {{
    flex-wrap: nowrap !important; overflow-x: auto; scroll-snap-type: x mandatory;
  }}
  #columns > .column {{ flex: 0 0 86% !important; scroll-snap-align: start; }}
  #examples > * {{ flex: 0 0 70% !important; scroll-snap-align: start; }}
}}
"""
# A tap on a summary line brings that column into view in the swipeable row.
JS_ON_LOAD = """
element.addEventListener('click', (event) => {
  const line = event.target.closest('[data-column]');
  const column = line && document.getElementById('column-' + line.dataset.column);
  if (column) column.scrollIntoView({behavior: 'smooth', block: 'nearest', inline: 'start'});
});
"""
# Asking a question brings every column back to its newest answer. Gradio's chat follows new
# messages only while it is scrolled to the bottom: a viewer who scrolled up to read one long
# answer otherwise kept seeing that old turn for every later question (issue 20.1).
FOLLOW_NEWEST = """() => {
  for (const chat of document.querySelectorAll('[id^="chat-"]')) {
    for (const box of [chat, ...chat.querySelectorAll('*')]) {
      if (box.scrollHeight > box.clientHeight + 1) box.scrollTop = box.scrollHeight;
    }
  }
}"""


@dataclass(frozen=True)
class Line:
    """What the summary says of one column for the last question."""

    name: str
    title: str
    text: str  # the answer so far, or why there is none
    seconds: float | None = None  # total latency, once the answer is finished
    finished: bool = False  # answered or failed: no more is coming


def build_summary() -> gr.HTML:
    """The summary above the columns (shown on narrow screens only); it brings the CSS."""
    return gr.HTML(
        "",
        elem_id="answer-summary",
        head=f"<style>{CSS}</style>",
        js_on_load=JS_ON_LOAD,
    )


def column_id(name: str) -> str:
    """The element id of a column's box, which a summary line scrolls to."""
    return f"column-{name}"


def summary_html(lines: Sequence[Line]) -> str:
    """One line per column, tap to see it: its title, latency and the answer's first words."""
    if not lines:
        return ""
    rows = [
        f'<button class="summary-line" data-column="{html.escape(line.name)}">'
        f"<b>{html.escape(line.title)}</b>"
        f'<span class="latency">{_latency(line)}</span>'
        f'<span class="words">{html.escape(_first_words(line.text))}</span></button>'
        for line in lines
    ]
    hint = '<div class="summary-hint">Swipe the answers sideways, or tap a line.</div>'
    return "".join(rows) + hint


def _latency(line: Line) -> str:
    if line.seconds is not None:
        return f"{line.seconds:.1f} s"
    return "–" if line.finished else "…"


def _first_words(text: str) -> str:
    words = text.split()
    return " ".join(words[:SUMMARY_WORDS]) + (" …" if len(words) > SUMMARY_WORDS else "")


@contextmanager
def under(box: BlockContext) -> Iterator[None]:
    """Add components at the end of a block built earlier (a column: under its answer and
    sources). Re-entering a Gradio block makes the block in use its parent; the block's own (for
    a column, the row of columns) is put back, since Gradio reads it to size the forms inside."""
    parent = box.parent
    with box:
        yield
    box.parent = parent


@contextmanager
def above(block: Block) -> Iterator[None]:
    """Add components just before a block built earlier, in the same parent (a line above the
    row of columns, from a panel built after them)."""
    parent = block.parent
    if parent is None:
        raise ValueError("above() needs a block that is already placed on the page")
    count = len(parent.children)
    with under(parent):
        yield
    added = parent.children[count:]
    del parent.children[count:]
    place = parent.children.index(block)
    parent.children[place:place] = added
