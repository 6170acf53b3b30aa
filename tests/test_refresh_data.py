"""Fact seeds followed through a document edit, and the incremental training set built from them."""

from __future__ import annotations

from training.refresh_data import incremental_splits, reanchor, refresh_facts

TEXT = """# Terms

## 4.2 Usage limits per plan
The Starter plan allows 3 Authorised Users, the Professional plan allows 25 Authorised Users and
the Enterprise plan allows 250 Authorised Users.

## 3.4 Trial subscriptions
The trial lasts 30 days and is limited to 3 Gateways and 5 Authorised Users.
"""
USERS = {
    "id": "tos-013",
    "doc": "legal/tos.md",
    "section": "4.2 Usage limits per plan",
    "evidence": "the Professional plan allows 25 Authorised Users",
    "answer": "25 Authorised Users",
    "questions": ["q1", "q2", "q3", "q4"],
}
TRIAL = {
    **USERS,
    "id": "tos-009",
    "section": "3.4 Trial subscriptions",
    "evidence": "The trial lasts 30 days and is limited to 3 Gateways",
    "answer": "30 days",
}


def test_an_edited_number_moves_the_answer_with_it():
    edited = TEXT.replace("allows 25 Authorised", "allows 40 Authorised")
    moved = reanchor(USERS, edited)
    assert moved["answer"] == "40 Authorised Users"
    assert moved["evidence"] == "the Professional plan allows 40 Authorised Users"
    assert moved["section"] == "4.2 Usage limits per plan" and moved["previous_answer"] == (
        "25 Authorised Users"
    )
    spelled = reanchor(TRIAL, TEXT.replace("lasts 30 days", "lasts six weeks"))
    assert spelled["answer"] == "six weeks"


def test_facts_are_kept_updated_or_dropped_with_a_reason():
    edited = TEXT.replace("allows 25 Authorised", "allows 40 Authorised").replace(
        "The trial lasts 30 days and is limited to 3 Gateways and 5 Authorised Users.",
        "There is no trial any more.",
    )
    result = refresh_facts([USERS, TRIAL], {"legal/tos.md": edited})
    assert [f["id"] for f in result.updated] == ["tos-013"] and result.kept == []
    assert [(f["id"], why) for f, why in result.dropped] == [
        ("tos-009", "its evidence is no longer in legal/tos.md")
    ]
    unchanged = refresh_facts([USERS, TRIAL], {"legal/tos.md": TEXT})
    assert len(unchanged.kept) == 2 and not unchanged.updated
    gone = refresh_facts([USERS], {})
    assert gone.dropped[0][1] == "legal/tos.md was removed"


def test_the_incremental_set_is_the_changed_facts_plus_a_replay_of_unchanged_ones():
    edited = TEXT.replace("allows 25 Authorised", "allows 40 Authorised")
    result = refresh_facts([USERS, TRIAL], {"legal/tos.md": edited})
    old_train = [{"id": f"tos-{n:03d}/q1", "question": str(n)} for n in range(5, 20)]
    splits = incremental_splits(result, old_train, replay=5, repeat=3)
    new = [row for row in splits["train"] if row["id"].startswith("tos-013")]
    assert len(new) == 6 and {row["answers"][0] for row in new} == {"40 Authorised Users"}
    replayed = [row for row in splits["train"] if not row["id"].startswith("tos-013")]
    assert len(replayed) == 5 and all(not r["id"].startswith("tos-013") for r in replayed)
    assert [r["question"] for r in splits["validation"]] == ["q3"]
    assert [r["question"] for r in splits["test"]] == ["q4"]
