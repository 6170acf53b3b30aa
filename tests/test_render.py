"""What the UI shows under an answer: sources expandable, with the supporting sentence marked."""

from common.config import Config
from documents.store import Documents
from pipelines.core import Answer, Source
from ui.render import sources_markdown, supporting_sentence

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
