"""Under the chat: vote for the best answer to any question of the session (named, not blind),
share one comparison by a link, the leaderboard, and the exports: the conversation, and every
visitor's votes and feedback as a dataset (schema: docs/arena.md)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import gradio as gr

from arena.dataset import export_jsonl, preference_pairs
from arena.store import ALL_BAD, TIE, VoteStore
from common.config import Config
from common.files import replace_atomically, within
from pipelines.core import Pipeline
from ui.chat_tab import ChatParts
from ui.jobs import new_session_id
from ui.leaderboard import Leaderboard
from ui.render import plural, vote_label
from ui.share_page import share_link, share_record
from ui.transcript import Turn, saved_answers, write_exports

EXPORTS = "exports"  # under the data folder: one folder per browser session
VOTES_FILE, PAIRS_FILE = "arena-votes.jsonl", "preference-pairs.jsonl"  # in that folder
LABEL_CHARS = 60  # of a question, in the question picker


def build_votes(
    parts: ChatParts,
    pipelines: Sequence[Pipeline],
    config: Config,
    store: VoteStore,
    ratings: Leaderboard,
) -> gr.HTML:
    """The vote row (any question of the session), Share, the exports and the leaderboard
    (returned, to refresh on load)."""
    titles = {p.name: p.title for p in pipelines}
    # min widths: on a phone the picker and the choices take a line each, the buttons share one
    with gr.Row(equal_height=True):
        asked = gr.Dropdown(
            choices=[], label="Question", scale=2, min_width=280, elem_id="vote-question"
        )
        choice = gr.Radio(
            choices=_choices([p.name for p in pipelines if not p.optional], titles),
            label="Which answer is best?",
            scale=4,
            min_width=280,
            elem_id="vote-choice",
        )
    with gr.Row():
        vote = gr.Button("Vote", scale=1, min_width=90, elem_id="vote")
        share = gr.Button("Share", scale=1, min_width=90, elem_id="share")
        export = gr.Button("Export conversation", scale=1, min_width=120, elem_id="export")
        dataset = gr.Button(
            "Export votes and feedback (JSONL)", scale=1, min_width=170, elem_id="export-votes"
        )
    status = gr.Markdown("", elem_id="vote-status")
    files = gr.File(
        label="Exported files", file_count="multiple", visible=False, elem_id="export-files"
    )
    with gr.Accordion("Leaderboard: votes of every visitor", open=False):
        board = gr.HTML("", elem_id="leaderboard")

    after = partial(_after_answer, titles)
    for event in parts.answered:
        event.then(after, parts.turns, [asked, choice], api_name="after_answer")
    asked.input(partial(_pick, titles), [asked, parts.turns], choice, api_visibility="private")
    vote.click(
        partial(_cast, store, ratings),
        [choice, parts.turns, parts.session, asked],  # the question last: optional in the API
        [status, parts.turns, board, parts.session, choice],
        api_name="cast",  # the API's names stay what they were (tests, clients)
    )
    share.click(
        _sharer(store, titles, config.currency), [asked, parts.turns], status, api_name="share"
    )
    export.click(
        partial(_export, config, titles),
        [parts.turns, parts.session],
        [status, files, parts.session],
        api_name="exporting",
    )
    dataset.click(
        partial(_export_votes, store, config),
        parts.session,
        [status, files, parts.session],
        api_name="exporting_votes",
    )
    parts.clear.click(_cleared, None, [status, files, asked], api_visibility="private")
    return board


def _cleared() -> list[Any]:
    return ["", gr.File(visible=False), gr.Dropdown(choices=[], value=None)]


def _after_answer(titles: dict[str, str], turns: list[Turn]) -> list[Any]:
    """The session's questions (the new one picked) and the columns that answered it."""
    questions = [(_question_label(n, t), t.key) for n, t in enumerate(turns, start=1)][::-1]
    last = turns[-1] if turns else None
    return [
        gr.Dropdown(choices=questions, value=last.key if last else None),
        gr.Radio(choices=_choices(_answered(last) if last else [], titles), value=None),
    ]


def _pick(titles: dict[str, str], key: str | None, turns: list[Turn]) -> Any:
    """The vote offers the columns that answered the picked question, and shows its vote."""
    found = _find(turns, key)
    if found is None:
        return gr.Radio(choices=_choices([], titles), value=None)
    turn = found[1]
    return gr.Radio(choices=_choices(_answered(turn), titles), value=turn.vote)


def _question_label(number: int, turn: Turn) -> str:
    """ "2. What is the notice period…": the number, then the question's start on one line."""
    text = " ".join(turn.question.split())
    return f"{number}. {text[:LABEL_CHARS]}{'…' if len(text) > LABEL_CHARS else ''}"


def _find(turns: list[Turn], key: str | None) -> tuple[int, Turn] | None:
    """(index, turn) of the question with `key`; the last question when no key is given (an
    API client that sends only its choice votes on the last question, as it always did)."""
    if key is None:
        return (len(turns) - 1, turns[-1]) if turns else None
    return next(((i, t) for i, t in enumerate(turns) if t.key == key), None)


def _answered(turn: Turn) -> list[str]:
    """The columns that answered `turn`, in the page's order: an error is no answer."""
    return [name for name, answer in turn.answers.items() if answer.done]


def _cast(
    store: VoteStore,
    ratings: Leaderboard,
    picked: str | None,
    turns: list[Turn],
    session: str | None,
    key: str | None = None,
) -> list[Any]:
    """Record a vote on the picked question (`key`; the last one without it), replacing this
    session's earlier vote on it: [status, turns, the leaderboard, session, the choice]."""
    titles = ratings.titles
    unchanged = [gr.update(), session, gr.update()]
    found = _find(turns, key)
    if found is None:
        said = "Ask a question first." if not turns else "Pick a question first."
        return [_say(said), turns, *unchanged]
    index, turn = found
    number, answered = index + 1, _answered(turn)
    if not answered:
        said = _say(f"No column answered question {number}: nothing to vote on.")
        return [said, turns, *unchanged]
    if picked not in answered and picked not in (TIE, ALL_BAD):
        return [_say("Pick an answer (or Tie / All bad) first."), turns, *unchanged]
    # the store says what counts: this session's turns may have missed a vote (a question
    # answered while it was cast writes back the turns it started from)
    earlier = store.vote_of(session, turn.key) if session else None
    was = earlier.choice if earlier else None
    if picked == was:
        said = f"Your vote on question {number} stays: {vote_label(picked, titles)}."
        return [said, turns, *unchanged]
    session = session or new_session_id()
    # the answers first: the dataset pairs a vote with the texts it was cast on
    store.save_turn(session, turn.key, turn.question, turn.asked_at, saved_answers(turn, titles))
    store.record(turn.question, picked, answered, session, turn=turn.key, blind=False)
    voted = [*turns[:index], replace(turn, vote=picked), *turns[index + 1 :]]
    now = vote_label(picked, titles)
    said = f"Thanks — vote on question {number} recorded: {now}."
    if was is not None:
        said = f"Vote on question {number} changed: {now} (was: {vote_label(was, titles)})."
    return [said, voted, ratings.html(), session, gr.update()]


def _sharer(store: VoteStore, titles: dict[str, str], currency: str) -> Callable[..., str]:
    """The Share button's handler: a closure, since Gradio gives the request only to a
    function whose own signature asks for it."""

    def share(key: str | None, turns: list[Turn], request: gr.Request) -> str:
        """Store the picked question's comparison; the status line shows its link."""
        found = _find(turns, key)
        if found is None:
            return _say("Ask a question first." if not turns else "Pick a question first.")
        index, turn = found
        share_id = store.share(share_record(turn, index + 1, titles, currency))
        link = share_link(share_id, request)
        said = f"Link to question {index + 1} (read-only, for anyone who can open this app)"
        return f"{said}: [{link}]({link})"

    return share


def _export(
    config: Config, titles: dict[str, str], turns: list[Turn], session: str | None
) -> list[Any]:
    """Write the conversation's files: [status, the file list, session]."""
    if not turns:
        said = _say("Nothing to export yet: ask a question first.")
        return [said, gr.File(visible=False), session]
    session = session or new_session_id()
    # The folder is named by the server's own id for this session, never by a value the
    # browser sends; `within` refuses any path that would leave the exports folder.
    folder = within(config.data_path / EXPORTS, session)
    paths = write_exports(turns, titles, config.currency, folder)
    return [
        f"Exported {plural(len(turns), 'question')}.",
        gr.File(value=[str(p) for p in paths], visible=True),
        session,
    ]


def _export_votes(store: VoteStore, config: Config, session: str | None) -> list[Any]:
    """Write every visitor's votes and feedback as a dataset, and its preference pairs, into
    this session's export folder: [status, the file list, session]."""
    session = session or new_session_id()
    folder = within(config.data_path / EXPORTS, session)  # as _export: the server's own id
    records = folder / VOTES_FILE
    count = export_jsonl(store, records)
    if not count:
        return [
            _say("Nothing to export yet: no votes or feedback."),
            gr.File(visible=False),
            session,
        ]
    # the pairs from the file just written, so that both files hold the same votes
    lines = records.read_text(encoding="utf-8").splitlines()
    pairs = preference_pairs(json.loads(line) for line in lines)
    text = "".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in pairs)
    paired = replace_atomically(
        folder / PAIRS_FILE, lambda partial: partial.write_text(text, encoding="utf-8")
    )
    said = (
        f"Exported the votes and feedback on {plural(count, 'question')}, and "
        f"{plural(len(pairs), 'preference pair')} (schema: docs/arena.md)."
    )
    return [said, gr.File(value=[str(records), str(paired)], visible=True), session]


def _choices(names: Sequence[str], titles: dict[str, str]) -> list[tuple[str, str]]:
    return [(titles.get(n, n), n) for n in names] + [("Tie", TIE), ("All bad", ALL_BAD)]


def _say(message: str) -> str:
    gr.Warning(message)
    return f"**{message}**"
