"""RAG column: retrieve passages from the Chroma index, then answer only from them.

LangChain chain: text splitter -> Chroma vector store -> retriever -> prompt -> model.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from langchain_core.prompts import ChatPromptTemplate

from common.messages import Message, clean_history
from documents.index import Hit
from pipelines.core import Answer, Source, last
from pipelines.generation import generate_answer
from pipelines.resources import Resources

NOT_FOUND = "The documents do not contain the answer."

# Plain "Context / Question / Answer:" worked better for the 135M default model than numbered
# passages, which it tended to answer with a passage number.
PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer the question with facts from the context only. Quote the exact number, "
            f"period or name from the context. If the context does not say, answer: {NOT_FOUND}",
        ),
        ("placeholder", "{history}"),
        ("human", "Context:\n{context}\n\nQuestion: {question}\nAnswer:"),
    ]
)
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def format_passages(hits: Sequence[Hit]) -> str:
    """Passages as the model sees them, in rank order, each with where it comes from."""
    parts = []
    for hit in hits:
        meta = hit.document.metadata
        parts.append(f"From {meta['title']}, section {meta['section']}:\n{meta['text']}")
    return "\n\n".join(parts)


def to_sources(hits: Sequence[Hit]) -> tuple[Source, ...]:
    return tuple(
        Source(
            document=hit.document.metadata["document"],
            section=hit.document.metadata["section"],
            text=hit.document.metadata["text"],
            score=hit.score,
            rank=rank,
        )
        for rank, hit in enumerate(hits, start=1)
    )


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
    use_adapter = False

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def retrieve(self, question: str, history: Sequence[Message] = ()) -> tuple[list[Hit], float]:
        """The top-k passages for the question, and the seconds retrieval took.

        In a conversation a follow-up ("and how far in advance is it announced?") names its
        subject only in an earlier turn, so the previous question is searched together with
        this one as well; the better-scoring passages of both searches are kept. A question on
        a new subject still wins with its own search."""
        started = time.perf_counter()
        index, k = self.resources.index(), self.resources.config.top_k
        hits = index.search(question, k)
        previous = [m["content"] for m in clean_history(history) if m["role"] == "user"][-1:]
        if previous:
            hits = _best(hits + index.search(f"{previous[0]}\n{question}", k), k)
        return hits, time.perf_counter() - started

    def messages(
        self, question: str, history: Sequence[Message], hits: Sequence[Hit]
    ) -> list[Message]:
        """The chat prompt: instructions, the conversation so far, passages and question."""
        prompt = PROMPT.format_messages(
            history=[(m["role"], m["content"]) for m in clean_history(history)],
            context=format_passages(hits),
            question=question,
        )
        return [{"role": _ROLES.get(m.type, m.type), "content": m.content} for m in prompt]

    def stream(self, question: str, history: Sequence[Message] = ()) -> Iterator[Answer]:
        started = time.perf_counter()
        hits, retrieval_s = self.retrieve(question, history)
        yield from generate_answer(
            self.resources.engine(),
            self.resources.config,
            self.name,
            self.messages(question, history, hits),
            use_adapter=self.use_adapter,
            started=started,
            sources=to_sources(hits),
            retrieval_s=retrieval_s,
        )

    def answer(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return last(self.stream(question, history))
