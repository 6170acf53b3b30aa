"""Under each answer column: a thumbs up or down and a short comment on that column's answer to
the latest question, stored in the arena's file together with the answers it judges."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import gradio as gr

from arena.store import COMMENT_LIMIT, VoteStore
from pipelines.core import Pipeline
from ui.chat_tab import ChatParts
from ui.jobs import new_session_id
from ui.layout import under
from ui.transcript import Turn, saved_answers

UP, DOWN, COMMENT = 1, -1, 0  # the store's ratings
THUMBS = {UP: "👍", DOWN: "👎"}
# what the comment box says while empty: what the feedback is on (no label line: on a phone
# the columns' height is the page's)
HINT = "Comment on this answer (optional)"
# What this session stored on one column: (the question's key, rating, comment); None before.
Given = tuple[str, int, str] | None


def build_feedback(parts: ChatParts, pipelines: Sequence[Pipeline], store: VoteStore) -> None:
    """Thumbs, a comment box and a status line at the foot of each column's box."""
    titles = {p.name: p.title for p in pipelines}
    reset: list[Any] = []
    for pipeline in pipelines:
        name = pipeline.name
        with under(parts.boxes[name]):
            comment, buttons, status = _widgets(name)
        # per column, not one dict for all: clicks on two columns at once must not overwrite
        # each other's record of what was given
        given = gr.State(None)
        inputs = [comment, parts.turns, parts.session, given]
        outputs = [status, comment, parts.session, given]
        for button, rating in zip(buttons, (UP, DOWN, COMMENT), strict=True):
            button.click(
                partial(send_feedback, store, titles, name, rating),
                inputs,
                outputs,
                api_visibility="private",
            )
        reset += [status, comment, given]
    # a cleared chat starts again at question 1: the old lines would name the wrong questions
    parts.clear.click(
        lambda: ["", "", None] * len(pipelines), None, reset, api_visibility="private"
    )


def _widgets(name: str) -> tuple[gr.Textbox, list[gr.Button], gr.Markdown]:
    """The comment box, the 👍 / 👎 / Send buttons (small, to fit a phone's column), a status."""
    comment = gr.Textbox(
        placeholder=HINT,
        container=False,  # no frame around it: 40 px instead of 79 under every column
        show_label=False,
        lines=1,
        max_length=COMMENT_LIMIT,
        elem_id=f"feedback-comment-{name}",
    )
    with gr.Row():
        # a word beside each thumb: read aloud, and still clear where no emoji font is installed
        buttons = [
            gr.Button(f"{THUMBS[UP]} Good", size="sm", min_width=64, elem_id=f"feedback-up-{name}"),
            gr.Button(
                f"{THUMBS[DOWN]} Bad", size="sm", min_width=64, elem_id=f"feedback-down-{name}"
            ),
            gr.Button("Send comment", size="sm", min_width=96, elem_id=f"feedback-send-{name}"),
        ]
    status = gr.Markdown("", elem_id=f"feedback-status-{name}", elem_classes="column-note")
    return comment, buttons, status


def send_feedback(
    store: VoteStore,
    titles: dict[str, str],
    name: str,
    rating: int,
    comment: str | None,
    turns: list[Turn],
    session: str | None,
    given: Given,
) -> list[Any]:
    """Store `rating` (COMMENT: the comment alone) and the comment on column `name`'s answer to
    the latest question: [status, comment box, session, given]. A second one replaces the
    first, keeping its rating or comment where the new one leaves that out."""
    comment = comment.strip() if isinstance(comment, str) else ""
    refusal = _refusal(titles.get(name, name), name, rating, comment, turns)
    if refusal is not None:
        gr.Warning(refusal)
        return [f"**{refusal}**", gr.update(), session, given]
    last = turns[-1]
    earlier = given if given is not None and given[0] == last.key else None
    if earlier is not None:  # a comment sent after a thumb keeps the thumb, and the reverse
        rating, comment = rating or earlier[1], comment or earlier[2]
    session = session or new_session_id()
    # the answers go with the feedback: a rating means nothing without what it rated
    store.save_turn(session, last.key, last.question, last.asked_at, saved_answers(last, titles))
    store.add_feedback(session, last.key, name, rating, comment)
    line = stored_line(rating, comment, len(turns))
    said = f"Feedback changed: {line}" if earlier is not None else line
    return [said, "", session, (last.key, rating, comment)]


def _refusal(title: str, name: str, rating: int, comment: str, turns: list[Turn]) -> str | None:
    """Why this feedback cannot be stored, in a sentence; None when it can."""
    if not turns:
        return "Ask a question first: feedback is on a column's answer to the latest question."
    answer = turns[-1].answers.get(name)
    if answer is None or not answer.done:  # switched off, or failed: an error is no answer
        return f"The {title} column did not answer the latest question: nothing to rate there."
    if len(comment) > COMMENT_LIMIT:
        return (
            f"A comment holds at most {COMMENT_LIMIT} characters (this one has {len(comment)}):"
            " shorten it. Nothing was saved."
        )
    if rating == COMMENT and not comment:
        return f"Write a comment first, or click {THUMBS[UP]} or {THUMBS[DOWN]}."
    return None


def stored_line(rating: int, comment: str, number: int) -> str:
    """What was stored, in a few words: "👍 saved for question 3"."""
    what = THUMBS.get(rating, "Comment")
    extra = " with your comment" if rating != COMMENT and comment else ""
    return f"{what}{extra} saved for question {number}"
