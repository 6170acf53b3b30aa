"""The Arena tab's rules, without a browser: orders drawn anew per question, names hidden until
a vote or Reveal, a vote after Reveal stored as not blind, a second vote replacing the first,
and the leaderboard computed from the blind votes apart from all votes."""

from __future__ import annotations

import gradio as gr
import pytest

from arena.store import ALL_BAD, TIE, VoteStore
from pipelines.core import Answer, Source
from pipelines.generation import WEIGHTS_ONLY
from ui.arena_battles import Battle, blind_sources, cast, shuffled, slot_title
from ui.leaderboard import Leaderboard, render
from ui.transcript import Turn

TITLES = {"base": "Base model", "rag": "RAG (retrieval)", "lora": "LoRA fine-tuned"}


def _battle(order=("rag", "base", "lora"), revealed=False) -> Battle:
    answers = {name: Answer(name, text=f"{name} says 30 days.", done=True) for name in order}
    return Battle(Turn("How long?", "2026-12-07T04:00:00+00:00", answers), tuple(order), revealed)


@pytest.fixture
def store(tmp_path):
    opened = VoteStore(tmp_path / "votes.sqlite")
    yield opened
    opened.close()


def test_each_question_gets_an_order_other_than_the_last_one():
    names = ["base", "rag", "lora"]
    last = None
    seen = set()
    for _ in range(50):
        order = shuffled(names, last)
        assert sorted(order) == sorted(names) and order != last
        seen.add(order)
        last = order
    assert len(seen) > 3  # random, not a rotation of a few orders


def test_names_appear_only_once_revealed():
    battle = _battle()
    assert [slot_title(i, battle, TITLES) for i in range(3)] == [
        "### Answer A",
        "### Answer B",
        "### Answer C",
    ]
    shown = Battle(battle.turn, battle.order, revealed=True)
    assert slot_title(0, shown, TITLES) == "### Answer A: RAG (retrieval)"
    assert slot_title(2, shown, TITLES) == "### Answer C: LoRA fine-tuned"


def test_a_weights_only_note_does_not_name_the_adapter():
    note = Source(document="", section="", text=f"{WEIGHTS_ONLY} Adapter: smollm2-corpus-lora.")
    text = blind_sources(Answer("lora", sources=(note,), done=True), lambda _: None, 0.0)
    assert "smollm2" not in text and "Adapter" not in text
    assert WEIGHTS_ONLY in text


def test_a_blind_vote_maps_the_letter_to_the_column_and_reveals(store):
    battles, said, session = cast(store, [_battle()], 0, "B", None, TITLES)
    assert session and "blind vote recorded: **Base model**" in said
    assert battles[0].revealed and battles[0].vote == "base"
    (vote,) = store.votes()
    assert vote.blind and vote.choice == "base"
    assert vote.shown == ("rag", "base", "lora")  # as displayed: A, B, C
    saved = store.turn_record(session, battles[0].turn.key)
    assert saved["answers"]["lora"]["text"] == "lora says 30 days."


def test_a_vote_after_reveal_is_not_blind_and_a_second_vote_replaces_the_first(store):
    battles, _, session = cast(store, [_battle(revealed=True)], 0, "A", "s1", TITLES)
    assert not store.votes()[0].blind
    battles, said, _ = cast(store, battles, 0, TIE, session, TITLES)
    assert "changed to **Tie** (was: RAG (retrieval))" in said
    (vote,) = store.votes()
    assert vote.choice == TIE and not vote.blind


def test_votes_on_two_questions_are_two_votes(store):
    battles = [_battle(), _battle(("lora", "rag", "base"))]
    battles, _, session = cast(store, battles, 0, "A", "s1", TITLES)
    cast(store, battles, 1, ALL_BAD, session, TITLES)
    assert [v.choice for v in store.votes()] == ["rag", ALL_BAD]


def test_a_vote_that_cannot_count_is_refused(store):
    with pytest.raises(gr.Error, match="Ask a question first"):
        cast(store, [], None, "A", None, TITLES)
    with pytest.raises(gr.Error, match="Pick an answer"):
        cast(store, [_battle()], 0, None, None, TITLES)
    with pytest.raises(gr.Error, match="Pick an answer"):
        cast(store, [_battle()], 0, "D", None, TITLES)  # no fourth answer
    failed = _battle()
    failed.turn.answers["base"] = Answer("base", text="failed")  # not done: no answer
    with pytest.raises(gr.Error, match="Pick an answer"):
        cast(store, [failed], 0, "B", None, TITLES)
    assert store.count() == 0


def test_the_leaderboard_ranks_blind_votes_apart_from_all(store):
    for _ in range(6):
        store.record("q", "rag", ["base", "rag", "lora"], blind=True)
    for _ in range(4):
        store.record("q", "base", ["base", "rag"], blind=False)
    page = render(store.votes(), TITLES)
    blind = page.split("leaderboard-blind")[1].split("</table>")[0]
    assert blind.index("RAG (retrieval)") < blind.index("Base model")
    assert "<h3>Blind votes (6 votes)</h3>" in page and "(10 votes)</h3>" in page
    matrix = page.split("class='win-matrix'")[1].split("</table>")[0]
    assert "100%" in matrix and "0%" in matrix
    board = Leaderboard(store, TITLES)
    assert board.html() == board.html()  # cached until the votes change
    store.record("q", "lora", ["lora", "base"], blind=True)
    assert "(7 votes)" in board.html()


def test_an_empty_leaderboard_says_so():
    page = render([], TITLES)
    assert "No votes yet." in page and "No blind votes yet." in page
