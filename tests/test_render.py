"""What the UI shows under an answer: sources expandable, with the supporting sentence marked."""

from common.config import Config
from common.messages import clean_history
from documents.store import Documents
from pipelines.core import Answer, Source
from ui.render import answer_text, sources_markdown, stats_markdown, supporting_sentence

PASSAGE = (
    "Either party may end the agreement in writing. Notice must be given 60 days before the "
    "term ends. Fees are due monthly & in advance."
)


def test_the_sentence_sharing_most_words_with_the_answer_is_chosen():
    assert supporting_sentence(PASSAGE, "Notice is due 60 days before the end of the term.") == (
        "Notice must be given 60 days before the term ends."
    )
    assert supporting_sentence(PASSAGE, "Fees are due monthly.") == (
        "Fees are due monthly & in advance."
    )
    assert supporting_sentence(PASSAGE, "Paris.") is None  # nothing in common: nothing marked


def test_sources_expand_to_escaped_text_with_the_sentence_marked_and_the_first_open():
    answer = Answer(
        pipeline="rag",
        text="60 days before the term ends.",
        sources=(
            Source("legal/terms.md", "8.2 Renewal", PASSAGE, score=0.81, rank=1),
            Source("manual/a.md", "1 <Intro>", "Nothing relevant here.", score=0.2, rank=2),
        ),
    )
    html = sources_markdown(answer)
    first, second = html.split("\n\n")
    assert first.startswith("<details open><summary><b>[1] legal/terms.md</b> · §8.2 Renewal")
    assert "score 0.810" in first
    assert "<mark>Notice must be given 60 days before the term ends.</mark>" in first
    assert "&amp; in advance" in first  # passage text is escaped
    assert second.startswith("<details><summary>") and "§1 &lt;Intro&gt;" in second
    assert "<mark>" not in second


def test_answers_from_weights_say_so():
    answer = Answer(pipeline="base", sources=(Source("", "", "From the weights only."),))
    assert sources_markdown(answer) == "*From the weights only.*"


def test_a_source_links_to_its_whole_document_inside_the_corpus_only(tmp_path):
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "terms.md").write_text("# Terms")
    sources = (
        Source("legal/terms.md", "8.2", PASSAGE, score=0.8, rank=1),
        Source("../outside.md", "1", PASSAGE, score=0.7, rank=2),
        Source("legal/missing.md", "1", PASSAGE, score=0.6, rank=3),
    )
    locate = Documents(Config(corpus_dir=str(tmp_path), data_dir=str(tmp_path / "data"))).locate
    first, outside, missing = sources_markdown(
        Answer(pipeline="rag", text="60 days", sources=sources), locate
    ).split("\n\n")
    assert 'href="/documents/legal/terms.md"' in first and str(tmp_path) not in first
    assert "<a " not in outside and "<a " not in missing


def test_an_answer_cut_at_its_budget_is_marked_and_the_mark_stays_out_of_the_prompt():
    cut = Answer("base", text="It costs EUR 135 to EUR 14", done=True, cut_at=160)
    shown = answer_text(cut)
    assert shown == "It costs EUR 135 to EUR 14 … *(cut at 160 tokens)*"
    assert answer_text(Answer("base", text="Paris.", done=True)) == "Paris."
    assert answer_text(Answer("base", text="It costs", cut_at=160)) == "It costs"  # streaming
    history = [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": shown}]
    assert clean_history(history)[-1]["content"] == "It costs EUR 135 to EUR 14"


def test_decode_speed_only_where_it_means_something_and_cached_prompts_are_named():
    """Three tokens with another answer's prefill between them are no speed; the last token's
    time, not the end of the answer's checks, ends the decode."""
    short = Answer("lora", text="30 days", completion_tokens=3, first_token_s=0.1, total_s=2.3)
    assert "tok/s" not in stats_markdown(short, "USD")
    long = Answer(
        "base", completion_tokens=41, first_token_s=0.5, last_token_s=1.5, total_s=3.0, done=True
    )
    assert "40.0 tok/s" in stats_markdown(long, "USD")
    cached = Answer("rag", prompt_tokens=320, cached_tokens=300, first_token_s=0.01, done=True)
    assert "first token 0.01 s (300 of 320 prompt tokens from the cache)" in stats_markdown(
        cached, "USD"
    )


def test_passages_below_the_threshold_are_labelled_and_a_declined_answer_used_none():
    """ "What is the capital of France?" retrieves four unrelated passages: none is presented
    as a source the answer used."""
    weak = [
        Source("legal/dpa.md", "5.5", "Data stays in the EU.", score=0.43, rank=r) for r in (1, 2)
    ]
    declined = Answer("rag", text="The documents do not contain the answer.", sources=tuple(weak))
    shown = sources_markdown(declined, min_score=0.48)
    assert shown.startswith("*No passage reaches the relevance threshold (0.48")
    assert shown.count("below the relevance threshold*") == 2
    used = Source(
        "manual/a.md",
        "3.2",
        "ETH2 is 192.168.40.1.",
        score=0.7,
        rank=2,
        used=("ETH2 is 192.168.40.1.",),
    )
    answered = Answer("rag", text="192.168.40.1", sources=(weak[0], used))
    shown = sources_markdown(answered, min_score=0.48)
    assert "No passage reaches" not in shown and shown.count("below the relevance") == 1
    assert "<details open><summary><b>[2]" in shown and "<details open><summary><b>[1]" not in shown


def test_an_answer_declined_without_the_model_says_no_passage_was_given_to_it():
    """Declined by the name check, a question's passages may still score high: they are shown
    as found, not as read."""
    found = Source("legal/dpa.md", "5.5", "Hosted in Frankfurt.", score=0.71, rank=1)
    declined = Answer(
        "rag",
        text="The documents do not contain the answer. (No document mentions France.)",
        sources=(found,),
        done=True,
    )
    shown = sources_markdown(declined, min_score=0.48)
    assert shown.startswith("*Declined without asking the model")
    assert "Underlined" not in shown and "<u>" not in shown
