"""The chat's columns without a browser: which optional column can answer, what a column
switched on late says, and the phone's one-line summary of each column."""

from __future__ import annotations

from common.commands import TRAIN_FULL
from common.config import READER_ADAPTER
from ui.columns import joined_note, missing
from ui.layout import SUMMARY_WORDS, Line, summary_html
from ui.transcript import Turn


def test_the_retrained_column_can_answer_only_with_weights(fake_config):
    from pipelines.resources import Resources
    from pipelines.retrained import RetrainedPipeline
    from tests.conftest import FakePipeline

    retrained = RetrainedPipeline(Resources(fake_config))
    why = missing(retrained)
    assert why is not None and f"`{TRAIN_FULL}`" in why and why.startswith("Not trained yet")
    folder = fake_config.retrained_path
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    assert missing(retrained) is not None  # a config without weights is not a model
    (folder / "model.safetensors").write_bytes(b"")
    assert missing(retrained) is None
    assert missing(FakePipeline("rag_lora", "RAG + reader fine-tune", "", optional=True)) is None


def test_the_reader_column_is_offered_only_with_the_reader(fake_config, tmp_path):
    from dataclasses import replace

    from common.commands import TRAIN_READ
    from pipelines.rag_lora import RagLoraPipeline
    from pipelines.resources import Resources

    absent = replace(fake_config, reader_adapter=str(tmp_path / "no-reader"))
    why = missing(RagLoraPipeline(Resources(absent)))
    assert why is not None and "APP_READER_ADAPTER" in why and TRAIN_READ in why
    assert (
        missing(RagLoraPipeline(Resources(replace(fake_config, reader_adapter=READER_ADAPTER))))
        is None
    )


def _turns(count: int) -> list[Turn]:
    return [Turn(f"Q{i}", "2025-01-01T00:00:00+00:00", {}) for i in range(count)]


def _history(questions: int) -> list[dict[str, str]]:
    pair = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]
    return pair * questions


def test_a_column_switched_on_late_says_what_it_missed():
    assert joined_note([], []) == ""  # before the first question there is nothing to miss
    assert joined_note(_turns(2), _history(2)) == ""  # on all along
    first = joined_note(_turns(2), [])
    assert "Switched on after 2 questions" in first and "no earlier answers" in first
    assert "Switched on after 1 question:" in joined_note(_turns(1), [])
    assert "Off for 2 of the 3 questions" in joined_note(_turns(3), _history(1))


def test_the_summary_has_one_escaped_line_per_column_with_its_latency():
    html = summary_html(
        [
            Line("base", "Base <model>", "word " * (SUMMARY_WORDS + 5), 1.234, True),
            Line("rag", "RAG", "still going"),
            Line("retrained", "Retrained", "Error: no weights", None, True),
        ]
    )
    assert html.count('class="summary-line"') == 3
    assert 'data-column="base"' in html and "Base &lt;model&gt;" in html
    assert "1.2 s" in html and ("word " * SUMMARY_WORDS).strip() + " …" in html
    assert ">…</span>" in html  # RAG: still answering
    assert ">–</span>" in html  # Retrained: failed, no latency to show
    assert summary_html([]) == ""
