"""RAG column: retrieve passages from the Chroma index, then answer only from them.

LangChain chain: text splitter -> Chroma vector store -> retriever -> prompt -> model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from langchain_core.prompts import ChatPromptTemplate

from common.config import Config
from common.messages import NOT_FOUND, Message, clean_history
from documents.evidence import Evidence, pick
from documents.index import Hit
from pipelines.core import Answer, Source, last
from pipelines.generation import generate_answer
from pipelines.resources import Resources
from pipelines.support import qualified, shortened, unknown_names, unsupported

WEAK = "(No passage is close enough to the question: APP_RAG_MIN_SCORE.)"
UNSUPPORTED = "(The model answered with {}, which the passages given to it do not hold.)"
MARKED = "(Unsupported: the passages given to the model hold no {}.)"
NEVER = "(No document mentions {}.)"

# Plain "Context / Question / Answer:" worked better for the 135M default model than numbered
# passages, which it tended to answer with a passage number. One worked example before the
# conversation shows the answer wanted: the value copied from the context, first.
ASK = "Context:\n{context}\n\nQuestion: {question}\nAnswer:"
EXAMPLE = (
    ASK.format(
        context="Term: The lease runs for 36 months and then renews for 12 months at a time.",
        question="For how long does the lease run at first?",
    ),
    "36 months.",
)
PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer the question with facts from the context only. Quote the exact number, "
            f"period or name from the context. If the context does not say, answer: {NOT_FOUND}",
        ),
        ("human", EXAMPLE[0]),
        ("ai", EXAMPLE[1]),
        ("placeholder", "{history}"),
        ("human", ASK),
    ]
)
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_NUMBERING = re.compile(r"^[\d.]+\s*")  # "3.4 Retention" -> "Retention"


def format_passages(hits: Sequence[Hit]) -> str:
    """Passages as the model sees them, in rank order, each with where it comes from."""
    parts = []
    for hit in hits:
        meta = hit.document.metadata
        parts.append(f"From {meta['title']}, section {meta['section']}:\n{meta['text']}")
    return "\n\n".join(parts)


def format_evidence(hits: Sequence[Hit], chosen: Sequence[Evidence]) -> str:
    """Evidence sentences as the model sees them, best first, each with where it comes from."""
    parts = []
    for evidence in chosen:
        meta = hits[evidence.sentence.passage].document.metadata
        # The section's name without its number: the model copied "7.3" or "From …, section
        # 8.6" into its answers when it saw them (measured on the validation split).
        title = _NUMBERING.sub("", meta["section"] or meta["title"])
        parts.append(f"{title}: {evidence.context}")
    return "\n\n".join(parts)


def context_of(hits: Sequence[Hit], chosen: Sequence[Evidence] = ()) -> str:
    """The context the model reads: the evidence sentences where there are some, else the
    passages."""
    return format_evidence(hits, chosen) if chosen else format_passages(hits)


def to_sources(hits: Sequence[Hit], chosen: Sequence[Evidence] = ()) -> tuple[Source, ...]:
    """The passages in rank order, each with its sentences that went into the context."""
    used: dict[int, list[str]] = {}
    for evidence in chosen:
        used.setdefault(evidence.sentence.passage, []).extend(evidence.texts)
    return tuple(
        Source(
            document=hit.document.metadata["document"],
            section=hit.document.metadata["section"],
            text=hit.document.metadata["text"],
            score=hit.score,
            rank=rank,
            used=tuple(used.get(rank - 1, ())),
            page=hit.document.metadata.get("page"),
            last_page=hit.document.metadata.get("last_page"),
        )
        for rank, hit in enumerate(hits, start=1)
    )


def answered_turns(history: Sequence[Message]) -> list[Message]:
    """The conversation for the prompt without the exchanges the column declined: they tell the
    model nothing, and the 135M model repeated a declined answer ("No document mentions
    France.") for the next question, whose passages held its answer."""
    turns = clean_history(history)
    kept: list[Message] = []
    for question, reply in zip(turns[::2], turns[1::2], strict=False):
        if not reply["content"].startswith(NOT_FOUND):
            kept += [question, reply]
    return kept


def _best(hits: Sequence[Hit], k: int) -> list[Hit]:
    """The k best-scoring distinct chunks."""
    seen: set[tuple[str, int]] = set()
    best = []
    for hit in sorted(hits, key=lambda h: h.score, reverse=True):
        key = (hit.document.metadata["document"], hit.document.metadata["chunk"])
        if key not in seen:
            seen.add(key)
            best.append(hit)
    return best[:k]


class RagPipeline:
    name = "rag"
    title = "RAG (retrieval)"
    optional = False
    adapter: str | None = None  # the engine's adapter it answers with; None: the base weights

    def __init__(self, resources: Resources, **settings: Any) -> None:
        """`settings`: retrieval settings (top_k, retrieval, rag_context) that differ from the
        configured ones for this column, e.g. one browser session's choice."""
        self.resources = resources
        self.settings = settings

    @property
    def config(self) -> Config:
        """The configuration this column answers with: the app's, with its own settings."""
        config = self.resources.config
        return replace(config, **self.settings) if self.settings else config

    def tuned(self, **settings: Any) -> RagPipeline:
        """The same column with other retrieval settings; this one is left as it is."""
        return type(self)(self.resources, **{**self.settings, **settings})

    def retrieve(self, question: str, history: Sequence[Message] = ()) -> list[Hit]:
        """The top-k passages for the question (`stream` times them with the evidence picking).

        In a conversation a follow-up ("and how far in advance is it announced?") names its
        subject only in an earlier turn. When the question's own passages score low
        (APP_RAG_FOLLOW_UP_BELOW), the previous question is searched together with it as well
        and the better-scoring passages of both searches are kept; a question that finds its
        passages alone is a new subject and keeps them."""
        config = self.config
        hits = self._search(question)
        previous = [m["content"] for m in clean_history(history) if m["role"] == "user"][-1:]
        if previous and max((h.score for h in hits), default=0.0) < config.rag_follow_up_below:
            hits = _best(hits + self._search(f"{previous[0]}\n{question}"), config.top_k)
        return hits

    def _search(self, query: str) -> list[Hit]:
        """The top-k passages for `query`, by the configured retrieval."""
        index, config = self.resources.index(), self.config
        search = index.hybrid_search if config.retrieval == "hybrid" else index.search
        return search(query, config.top_k)

    def evidence(self, question: str, hits: Sequence[Hit]) -> list[Evidence]:
        """The sentences of `hits` handed to the model (APP_RAG_CONTEXT=evidence); none when
        the model reads the whole passages."""
        config = self.config
        if config.rag_context != "evidence" or not hits:
            return []
        embeddings = self.resources.embeddings()
        return pick(
            question,
            [hit.document.metadata["text"] for hit in hits],
            embeddings.embed_cached,
            count=config.evidence_sentences,
        )

    def messages(
        self,
        question: str,
        history: Sequence[Message],
        hits: Sequence[Hit],
        chosen: Sequence[Evidence] = (),
    ) -> list[Message]:
        """The chat prompt: instructions, the conversation so far, the context and question.
        The context is the evidence sentences where there are some, else the passages."""
        prompt = PROMPT.format_messages(
            history=[(m["role"], m["content"]) for m in answered_turns(history)],
            context=context_of(hits, chosen),
            question=question,
        )
        return [{"role": _ROLES.get(m.type, m.type), "content": m.content} for m in prompt]

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]:
        started = time.perf_counter()
        config = self.config
        if config.rag_name_check and (names := self.unknown_names(question)):
            # no follow-up search: the previous subject's passages would look like sources
            hits = self.retrieve(question)
            why = NEVER.format(", ".join(names))
            yield self._declined(to_sources(hits), started, time.perf_counter() - started, why)
            return
        hits = self.retrieve(question, history)
        chosen = self.evidence(question, hits)
        retrieval_s = time.perf_counter() - started  # finding the passages and the sentences
        if max((hit.score for hit in hits), default=0.0) < config.rag_min_score:
            yield self._declined(to_sources(hits), started, retrieval_s, WEAK)
            return
        sources = to_sources(hits, chosen)
        messages = self.messages(question, history, hits, chosen)
        for answer in generate_answer(
            self.resources.engine(),
            config,
            self.name,
            messages,
            adapter=self.adapter,
            started=started,
            sources=sources,
            retrieval_s=retrieval_s,
            budget=("APP_RAG_MAX_NEW_TOKENS", config.rag_max_new_tokens),
        ):
            yield self._checked(answer, messages[-1]["content"]) if answer.done else answer

    def unknown_names(self, question: str) -> list[str]:
        """The names in the question that no passage of the documents holds
        (APP_RAG_NAME_CHECK)."""
        return unknown_names(question, self.resources.index().keywords().knows)

    def _checked(self, answer: Answer, context: str) -> Answer:
        """The final answer, cut to the value and at most one more sentence, a bare figure given
        its context's qualifier ("within 24 hours"); declined or marked when its numbers are not
        in the context (APP_RAG_SUPPORT_CHECK)."""
        text = shortened(answer.text)
        # cut after its second sentence on purpose, it ends where a sentence ends: not cut off
        cut_at = answer.cut_at if text == shortened(answer.text, len(answer.text)) else None
        text = qualified(text, context)
        check = self.config.rag_support_check
        if check != "off" and (missing := ", ".join(unsupported(text, context))):
            if check == "decline":
                text, cut_at = f"{NOT_FOUND} {UNSUPPORTED.format(missing)}", None
            else:
                text = f"{text} {MARKED.format(missing)}"
        return replace(answer, text=text, cut_at=cut_at)

    def _declined(
        self, sources: tuple[Source, ...], started: float, retrieval_s: float, why: str
    ) -> Answer:
        """The not-found answer without asking the model: no passage is close enough."""
        return Answer(
            self.name,
            text=f"{NOT_FOUND} {why}",
            sources=sources,
            total_s=time.perf_counter() - started,
            retrieval_s=retrieval_s,
            done=True,
        )

    def answer(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return last(self.stream(question, history))
