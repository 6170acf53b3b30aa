"""Said before a retraining run starts: what it will and will not learn from the documents that
changed since the weights were trained (only facts with training questions can be learnt), and
how long it took on this machine the last time."""

from __future__ import annotations

import json
import time
from typing import Any

from common.config import QA_DIR, REPO_ROOT, Config
from common.files import read_json_object, replace_atomically
from documents.chunks import CorpusFile
from training.progress import training_dir
from training.qa import FACTS_DIR, load_facts
from training.refresh_data import refresh_facts
from training.runs import staleness
from ui.render import plural

DURATIONS = "durations.json"  # in APP_DATA_DIR/training: how long the app's last runs took
# The runs the panel starts: an update of the LoRA adapter or of the Retrained column's
# weights, and the Retrained column's first (full) training.
WHAT = {"lora": "LoRA update", "full": "Retrained column update", "full-first": "full training"}
SHOWN = 3  # changed facts named per document


def learning_plan(run: dict[str, Any], files: list[CorpusFile], facts: list[dict]) -> str:
    """What an update of weights trained as `run` records will learn from the documents now
    (`files`), and what not, one document a line; "" when nothing changed since training."""
    stale = staleness(run, files)
    if not stale.known:
        return "Its training record lists no documents: what an update would learn is unknown."
    if not stale.count:
        return ""
    texts = {f.path: f.text for f in files}
    refresh = refresh_facts([f for f in facts if f["doc"] in texts], texts)
    seeded = {f["doc"] for f in facts}
    learns, misses = [], []
    for path in (*stale.changed, *stale.added):
        moved = [f for f in refresh.updated if f["doc"] == path]
        changed = [f for f in moved if f["answer"] != f["previous_answer"]]
        lost = [f for f, _ in refresh.dropped if f["doc"] == path]
        if changed:
            learns.append(f"**{path}**: {_changes(changed)}")
        if lost:
            misses.append(
                f"{path}: {plural(len(lost), 'trained fact')} whose sentence changed beyond "
                "recognition; the trained answer stays"
            )
        if path not in seeded:
            misses.append(f"{path}: no training questions ({FACTS_DIR}/); only RAG answers from it")
        elif not changed and not lost:
            misses.append(f"{path}: the edit changed no answer the training questions ask for")
    misses += [
        f"{path}: removed; retraining does not make the weights forget it" for path in stale.removed
    ]
    head = (
        "will learn " + "; ".join(learns) + "."
        if learns
        else "would learn **nothing** now: no changed document holds a changed fact with "
        "training questions."
    )
    if not misses:
        return head
    return head + "  \nIt will **not** learn:\n" + "\n".join(f"- {line}" for line in misses)


def learnable(run: dict[str, Any], files: list[CorpusFile], facts: list[dict]) -> int:
    """How many changed answers an update would learn from the documents changed since `run`."""
    stale = staleness(run, files)
    paths = {*stale.changed, *stale.added}
    texts = {f.path: f.text for f in files}
    refresh = refresh_facts([f for f in facts if f["doc"] in paths], texts)
    return sum(1 for f in refresh.updated if f["answer"] != f["previous_answer"])


def first_training_note() -> str:
    """What the Retrained column's first training learns."""
    return (
        f"its first full training learns the questions in `{QA_DIR}/`, made from the documents "
        "as shipped: edits and uploads are not in them. Update the weights afterwards (the same "
        "button) to learn the changed facts."
    )


def facts() -> list[dict]:
    """The fact seeds an update learns from (the training questions of each document)."""
    return load_facts(REPO_ROOT / FACTS_DIR)


def _changes(moved: list[dict]) -> str:
    named = [f"{f['previous_answer']} → {f['answer']}" for f in moved[:SHOWN]]
    more = f" and {len(moved) - SHOWN} more" if len(moved) > SHOWN else ""
    return f"{plural(len(moved), 'changed fact')} ({', '.join(named)}{more})"


# How long a run takes ---------------------------------------------------------------------------


def record_duration(config: Config, kind: str, seconds: float) -> None:
    """Remember how long a run the app started took, from its start to its saved weights."""
    path = training_dir(config) / DURATIONS
    known = read_json_object(path)
    known[kind] = {"seconds": round(float(seconds), 1), "at": time.strftime("%Y-%m-%d")}
    replace_atomically(path, lambda partial: partial.write_text(json.dumps(known, indent=2)))


def expected_duration(config: Config, kind: str, run: dict[str, Any]) -> tuple[str, str]:
    """(for the button, a sentence) on how long a `kind` run takes here: the last one the app
    started, else the training time in the served weights' record of an earlier update, else
    "not measured yet"."""
    what = WHAT[kind]
    last = read_json_object(training_dir(config) / DURATIONS).get(kind)
    if isinstance(last, dict) and isinstance(last.get("seconds"), int | float):
        took = duration(last["seconds"])
        return f"about {took}", f"The last {what} on this machine took {took} ({last.get('at')})."
    if kind != "full-first" and "refresh" in run and isinstance(run.get("wall_s"), int | float):
        took = duration(run["wall_s"])
        return (
            f"training about {took}",
            f"The last {what} trained for {took} on {run.get('hardware', 'this machine')} (its "
            "run record); loading the model and scoring come on top.",
        )
    note = f"How long a {what} takes here is not measured yet: none has run on this machine."
    if kind != "full-first" and isinstance(run.get("wall_s"), int | float):
        note += (
            f" The first training of these weights took {duration(run['wall_s'])} on "
            f"{run.get('hardware', 'another machine')}; an update trains on far fewer questions."
        )
    return "duration not measured yet", note


def duration(seconds: float) -> str:
    """ "45 s", "2 min 5 s", "1 h 10 min"."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min" + (f" {whole % 60} s" if whole % 60 else "")
    return f"{whole // 3600} h" + (f" {whole % 3600 // 60} min" if whole % 3600 // 60 else "")


def progress_seconds(progress: dict[str, Any]) -> float | None:
    """How long a finished run took, from its progress file; None unless it saved weights."""
    if progress.get("error") or not progress.get("adapter"):
        return None
    seconds = progress.get("elapsed_s")
    return float(seconds) if isinstance(seconds, int | float) else None
