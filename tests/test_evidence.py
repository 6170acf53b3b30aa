"""The evidence picker keeps the sentence that answers, with the sentence before it, from made-up
passages full of other numbers; and the support check and answer cut of the RAG columns."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import Config
from documents.embeddings import LocalEmbeddings
from documents.evidence import lexical_scores, pick, sentences_of
from pipelines.support import numbers, qualified, shortened, unknown_names, unsupported

RETENTION = (
    "Logs are kept in the EU region. The user audit log is kept for 24 months, and the alert "
    "notification log for 180 days. Backups are encrypted with AES-256.\n"
    "- Access logs: 90 days\n- Billing records: 10 years"
)
NOTICE = (
    "Either party may end the agreement at the end of a term. Notice must be given 60 days "
    "before the term ends. A term lasts 12 months and renews automatically."
)
ERRORS = (
    "E-101 means the power supply is below 44 V. E-204 means the pump seal has failed and must "
    "be replaced within 30 days. E-305 means the display lost its connection."
)
CASES = [
    ("How long is the user audit log retained?", "24 months"),
    ("How many days before the end of a term must notice be given?", "60 days"),
    ("What does error E-204 mean?", "seal has failed"),
    ("For how long are access logs kept?", "Access logs: 90 days"),
]


@pytest.fixture(scope="module")
def embeddings():
    return LocalEmbeddings(Config().embedder)


@pytest.fixture(scope="module")
def embed(embeddings):
    return lambda texts: np.asarray(embeddings.embed_documents(texts))


def test_cached_sentence_vectors_equal_fresh_ones_and_are_embedded_once(embeddings, monkeypatch):
    texts = sentences_of(RETENTION)
    fresh = np.asarray(embeddings.embed_documents(texts))
    assert np.allclose(embeddings.embed_cached(texts), fresh, atol=1e-5)
    encoded: list[str] = []
    encode = embeddings.model.encode
    monkeypatch.setattr(
        embeddings.model, "encode", lambda t, **kw: encoded.extend(t) or encode(t, **kw)
    )
    again = embeddings.embed_cached(["A new sentence.", texts[1], texts[0]])
    assert encoded == ["A new sentence."]
    assert np.allclose(again[1:], fresh[[1, 0]], atol=1e-5)


def test_passages_are_cut_into_sentences_and_list_items():
    assert sentences_of(RETENTION) == [
        "Logs are kept in the EU region.",
        "The user audit log is kept for 24 months, and the alert notification log for 180 days.",
        "Backups are encrypted with AES-256.",
        "Access logs: 90 days",
        "Billing records: 10 years",
    ]
    assert sentences_of("# Title\n\n## 3.1 Uptime\nIt is 99.9 %.") == ["It is 99.9 %."]


@pytest.mark.parametrize(("question", "answer"), CASES)
def test_the_best_sentence_holds_the_answer(embed, question, answer):
    chosen = pick(question, [RETENTION, NOTICE, ERRORS], embed, count=2)
    assert answer in chosen[0].sentence.text
    assert len(chosen) == 2 and chosen[0].score >= chosen[1].score


def test_a_sentence_keeps_the_one_before_it_and_nothing_twice(embed):
    chosen = pick("How long is the user audit log retained?", [RETENTION], embed, count=3)
    assert chosen[0].texts[0] == "Logs are kept in the EU region."
    placed = [text for evidence in chosen for text in evidence.texts]
    assert len(placed) == len(set(placed))  # a neighbour already given is not given again
    alone = pick("How long is the user audit log retained?", [RETENTION], embed, neighbours=0)
    assert alone[0].texts == (alone[0].sentence.text,)


def test_rare_words_weigh_most_in_the_lexical_score():
    scores = lexical_scores("What does E-204 mean?", ERRORS.split(". "))
    assert scores.index(max(scores)) == 1


def test_numbers_of_an_answer_must_be_in_its_context():
    assert numbers("Replace it every 2,000 hours (see 3.1.2), or by 2026-01-31.") == {
        "2000",
        "3.1.2",
        "2026-01-31",
    }
    context = "Notice must be given 60 days before the term of 12 months ends."
    assert unsupported("60 days.", context) == []
    assert unsupported("It is 90 days, not 60.", context) == ["90"]
    assert unsupported("The notice period is short.", context) == []


def test_an_answer_is_cut_after_the_value_and_one_more_sentence():
    assert shortened("60 days. Notice is written. It goes to the address.") == (
        "60 days. Notice is written."
    )
    assert shortened("Version 3.1.2 is current.\n\nFrom the manual:") == (
        "Version 3.1.2 is current. From the manual:"
    )


def test_a_bare_figure_gets_the_qualifier_its_context_states():
    context = (
        "Access is revoked within 24 hours of the request. Audits last at most 2 business days. "
        "The trial lasts 30 days. Refunds are paid within 30 days. Logs are kept 14 days."
    )
    assert qualified("24 hours.", context) == "within 24 hours."
    assert qualified("2 business days. Audits are rare.", context) == (
        "at most 2 business days. Audits are rare."
    )
    assert qualified("14 days.", context) == "14 days."  # stated without a qualifier
    assert qualified("30 days.", context) == "30 days."  # two ways in the context: left alone
    assert qualified("4 hours.", context) == "4 hours."  # not the "24 hours" of the context
    assert qualified("60 days.", context) == "60 days."  # not in the context at all
    assert qualified("Within 24 hours.", context) == "Within 24 hours."  # not a bare figure
    assert qualified("E-102.", context) == "E-102."


def test_a_question_naming_what_no_document_holds_is_found_out():
    """Names, codes and acronyms the documents never mention are found; plain words, numbers,
    plurals, possessives and compounds of known words are not."""
    vocabulary = {
        "hx-40",
        "tessaline",
        "gateway",
        "utrecht",
        "based",
        "stat",
        "off",
        "eth2",
        "tessos",
    }
    knows = vocabulary.__contains__
    assert unknown_names("Which Bluetooth version does the HX-40 gateway support?", knows) == [
        "Bluetooth"
    ]
    assert unknown_names("Which 5G bands and SNMP string does the HX-40L use?", knows) == [
        "5G",
        "SNMP",
        "HX-40L",
    ]
    for answerable in [
        "Which Utrecht-based company supplies Tessaline's HX-40s?",
        "What does a STAT-off time of 800 ms on ETH2 mean for version 3.4?",
        "Does the gateway support it?",
        "Which version must an HX-40 on TessOS 2.x take first?",
    ]:
        assert unknown_names(answerable, knows) == [], answerable
