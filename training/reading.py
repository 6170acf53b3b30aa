"""Reading examples for the reader adapter (`--task read`): each question of a QA split with the
context the RAG column builds for it, and what to answer from that context.

Most contexts hold the gold answer (the gold evidence sentence is put in, at a seeded position,
where retrieval missed it); a configurable share holds distractors only, the retrieved sentences
or passages without the ones that hold the answer, and is answered with the not-found sentence
(RAFT, Zhang et al. 2024). The built examples are cached in the data folder, keyed by the split
file, the documents and the settings that shape a context.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.config import Config
from common.messages import NOT_FOUND
from documents.chunks import corpus_hash
from documents.evidence import Evidence, Sentence
from documents.index import Hit
from evaluation.metrics import contains, normalize
from pipelines.rag import RagPipeline, context_of
from training.batches import Splits, encode_messages, make_splits
from training.qa import SPLITS, read_jsonl, split_file, write_jsonl

if TYPE_CHECKING:
    from training.trainer import TrainArgs

log = logging.getLogger(__name__)

READING_DIR = "reading"  # under APP_DATA_DIR: the built examples, one file per split and key
UNANSWERABLE = "unanswerable"  # the QA file of questions no document answers (test only)
EXTRA = 3  # candidates retrieved beyond the column's, so that distractors are left over
# QA file in the data folder whose questions join the reader's training split only: kinds of
# answer the recall set lacks (terms, names, yes/no, questions the documents leave open)
READING_TRAIN = "train-reading"


def target_of(answers: Sequence[str]) -> str:
    """What the reader should say: the gold value, then a full stop."""
    return f"{answers[0].rstrip('.')}." if answers else NOT_FOUND


def _holds(text: str, item: dict[str, Any]) -> bool:
    """Whether `text` holds the item's answer (or its evidence sentence)."""
    evidence = item.get("evidence", "")
    return bool(contains(text, item.get("answers", []))) or bool(evidence and evidence in text)


def _gold_hit(item: dict[str, Any], hits: Sequence[Hit]) -> Hit:
    """A passage made of the gold evidence sentence, titled like its document's retrieved ones."""
    from langchain_core.documents import Document

    metas = [h.document.metadata for h in hits]
    same = [m["title"] for m in metas if m["document"] == item["source"]]
    meta = {
        "document": item["source"],
        "title": same[0] if same else Path(item["source"]).stem.replace("-", " ").title(),
        "section": item["section"],
        "chunk": -1,
        "text": item["evidence"],
    }
    return Hit(document=Document(page_content=item["evidence"], metadata=meta), score=0.0)


def _column_context(rag: RagPipeline, question: str) -> tuple[list[Hit], list[Evidence]]:
    """The passages and evidence sentences the RAG column hands the model for `question`."""
    hits = rag.retrieve(question)
    return hits, rag.evidence(question, hits)


def _with_gold(
    rag: RagPipeline, item: dict[str, Any], rng: random.Random
) -> tuple[list[Hit], list[Evidence], bool]:
    """The column's context for the question with the gold evidence in it: put in where retrieval
    missed it (in place of the weakest piece), then the pieces shuffled. The last value says
    whether it was put in."""
    hits, chosen = _column_context(rag, item["question"])
    config = rag.config
    inserted = not _holds(context_of(hits, chosen), item)
    if inserted:
        gold = _gold_hit(item, hits)
        if chosen:
            sentence = Sentence(passage=len(hits), position=0, text=item["evidence"])
            hits = [*hits, gold]
            keep = chosen[: config.evidence_sentences - 1]
            chosen = [*keep, Evidence(sentence, (item["evidence"],), 0.0)]
        else:
            hits = [*hits[: config.top_k - 1], gold]
    rng.shuffle(chosen if chosen else hits)
    return hits, chosen, inserted


def _distractors(rag: RagPipeline, item: dict[str, Any]) -> tuple[list[Hit], list[Evidence]] | None:
    """The column's context without the pieces that hold the answer, topped up from a few more
    candidates; None when nothing is left or the answer is still in it."""
    question, config = item["question"], rag.config
    if config.rag_context == "evidence":
        hits = rag.retrieve(question)
        wider = rag.tuned(evidence_sentences=config.evidence_sentences + EXTRA)
        kept = [e for e in wider.evidence(question, hits) if not _holds(e.context, item)]
        chosen = kept[: config.evidence_sentences]
        if not chosen:
            return None
    else:
        wide = rag.tuned(top_k=config.top_k + EXTRA).retrieve(question)
        hits = [h for h in wide if not _holds(h.document.metadata["text"], item)][: config.top_k]
        chosen = []
    if not hits or _holds(context_of(hits, chosen), item):
        return None
    return hits, chosen


def reading_example(
    rag: RagPipeline, item: dict[str, Any], absent: bool, rng: random.Random
) -> dict[str, Any]:
    """One reading example: the RAG column's chat messages for the item's question, with the
    gold evidence in the context, or (`absent`, or no gold answer) distractors only."""
    question, answers = item["question"], item.get("answers", [])
    built = _distractors(rag, item) if absent or not answers else None
    if built is None and absent and answers:
        log.warning("%s: no distractor-only context; the gold stays in", item.get("id", question))
    if built or not answers:
        hits, chosen = built or _column_context(rag, question)
        inserted = False
    else:
        hits, chosen, inserted = _with_gold(rag, item, rng)
    holds = bool(answers) and _holds(context_of(hits, chosen), item)
    return {
        "id": item.get("id", ""),
        "question": question,
        "answers": answers,
        "evidence": item.get("evidence", ""),
        "messages": rag.messages(question, [], hits, chosen),
        "target": target_of(answers) if holds else NOT_FOUND,
        "holds_answer": holds,
        "inserted": inserted,
    }


def build_split(
    rag: RagPipeline, items: Sequence[dict[str, Any]], share: float, seed: int, name: str
) -> list[dict[str, Any]]:
    """The reading examples of one split; round(share × answerable) seeded ones get a context of
    distractors only (questions without a gold answer always do)."""
    rng = random.Random(f"{seed}:{name}")
    answerable = [i for i, item in enumerate(items) if item.get("answers")]
    absent = set(rng.sample(answerable, round(share * len(answerable))))
    return [reading_example(rag, item, i in absent, rng) for i, item in enumerate(items)]


def split_files(data_dir: str | Path, split: str, extra: bool) -> list[Path]:
    """The QA files of a split's reading examples: the split's, and for train (with `extra`)
    the reader's own questions where the folder has them."""
    files = [split_file(data_dir, split)]
    if extra and split == "train" and split_file(data_dir, READING_TRAIN).is_file():
        files.append(split_file(data_dir, READING_TRAIN))
    return files


def cache_key(rag: RagPipeline, paths: Sequence[Path], share: float, seed: int) -> str:
    """What a split's reading examples depend on: the split's files, the documents, the settings
    that shape a context, and the prompt (rendered around an empty context)."""
    config = rag.config
    parts = [
        [path.read_bytes().decode("utf-8") for path in paths],
        corpus_hash(rag.resources.documents.files()),
        [config.top_k, config.retrieval, config.rag_context, config.evidence_sentences],
        [share, seed, EXTRA, config.embedder],
        rag.messages("?", [], [], []),
    ]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:16]


def reading_split(
    rag: RagPipeline, data_dir: str | Path, split: str, share: float, seed: int, extra: bool = True
) -> list[dict[str, Any]]:
    """A split's reading examples, from the cache in the data folder or built (and cached)."""
    sources = split_files(data_dir, split, extra)
    key = cache_key(rag, sources, share, seed)
    cached = rag.config.data_path / READING_DIR / f"{split}-{key}.jsonl"
    if cached.is_file():
        return read_jsonl(cached)
    started = time.perf_counter()
    items = [item for source in sources for item in read_jsonl(source)]
    rows = build_split(rag, items, share, seed, split)
    write_jsonl(cached, rows)
    log.info(
        "%s: %d reading examples in %.1f s -> %s",
        split,
        len(rows),
        time.perf_counter() - started,
        cached,
    )
    return rows


def reading_splits(
    rag: RagPipeline, data_dir: str | Path, share: float, seed: int, extra: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Train, validation and test reading examples (and the unanswerable questions' where the
    folder has them); `extra`: the train split takes the reader's own questions too (where the
    folder has them). Raises ValueError when two splits share a question."""
    names = [*SPLITS, *([UNANSWERABLE] if split_file(data_dir, UNANSWERABLE).is_file() else [])]
    splits = {name: reading_split(rag, data_dir, name, share, seed, extra) for name in names}
    check_disjoint(splits)
    return splits


def check_disjoint(splits: dict[str, list[dict[str, Any]]]) -> None:
    """Raise ValueError naming a question that occurs in two splits (compared normalised)."""
    seen: dict[str, str] = {}
    for name, rows in splits.items():
        for question in {normalize(row["question"]) for row in rows}:
            if seen.setdefault(question, name) != name:
                raise ValueError(f"{question!r} is in both {seen[question]} and {name}")


def no_answer_counts(splits: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Each split's size and its count of distractor-only contexts, as the card lists them."""
    counts: dict[str, int] = {}
    for name, rows in splits.items():
        counts[name] = len(rows)
        counts[f"{name} (no answer in context)"] = sum(not r["holds_answer"] for r in rows)
    return counts


def reading_rows(
    config: Config, args: TrainArgs, tokenizer: Any
) -> tuple[list[dict], list[dict], dict[str, int]]:
    """The encoded train and validation reading examples of a run (`args.limit` keeps the first
    N training examples), and every split's size and no-answer count."""
    from pipelines.resources import Resources

    rag = RagPipeline(Resources(config))
    splits = reading_splits(
        rag, args.data_dir, args.no_answer_share, args.seed, bool(args.reading_extra)
    )
    if args.limit:
        splits["train"] = splits["train"][: args.limit]
    train, validation = (
        [
            encode_messages(tokenizer, row["messages"], row["target"], args.max_length)
            for row in splits[name]
        ]
        for name in ("train", "validation")
    )
    cut = sum(len(row["input_ids"]) >= args.max_length for row in [*train, *validation])
    if cut:
        log.warning("%d reading examples are longer than --max-length %d", cut, args.max_length)
    return train, validation, no_answer_counts(splits)


def reading_data(config: Config, args: TrainArgs, tokenizer: Any) -> Splits:
    """The data of a `--task read` run."""
    train, validation, sizes = reading_rows(config, args, tokenizer)
    return make_splits(train, validation, tokenizer.pad_token_id, args.batch_size, sizes)
