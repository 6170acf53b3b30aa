from pipelines.runner import INTERNAL_ERROR, run_all
from tests.conftest import FakePipeline


def _final(updates):
    answers, errors = {}, {}
    for update in updates:
        if update.error is not None:
            errors[update.index] = update.error
        else:
            answers[update.index] = update.answer
    return answers, errors


def test_all_columns_stream_to_completion(fake_pipelines):
    answers, errors = _final(run_all(fake_pipelines, "q", [[], [], []]))
    assert errors == {}
    assert [answers[i].done for i in range(3)] == [True, True, True]
    assert answers[1].text == "RAG says 60 days. (turn 1)"


def test_each_failing_column_is_isolated(fake_pipelines):
    for broken in range(3):
        pipelines = list(fake_pipelines)
        pipelines[broken] = FakePipeline("x", "Broken", "", fail="pipeline")
        answers, errors = _final(run_all(pipelines, "q", [[], [], []]))
        assert list(errors) == [broken]
        assert "switched off" in errors[broken]
        assert all(answers[i].done for i in range(3) if i != broken)


def test_a_bug_shows_a_short_message_not_a_traceback(fake_pipelines, caplog):
    pipelines = [FakePipeline("x", "Buggy", "", fail="bug"), fake_pipelines[1]]
    answers, errors = _final(run_all(pipelines, "q", [[], []]))
    assert errors == {0: INTERNAL_ERROR}
    assert "ZeroDivisionError" in caplog.text
    assert answers[1].done


def test_history_reaches_each_pipeline(fake_pipelines):
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    answers, _ = _final(run_all(fake_pipelines, "q", [history, [], history]))
    assert answers[0].text.endswith("(turn 2)")
    assert answers[1].text.endswith("(turn 1)")


def test_a_pipeline_that_fails_when_called_does_not_hang_the_others(fake_pipelines):
    class Raising:
        name, title, optional = "x", "Raises at once", False

        def stream(self, question, history=()):  # a plain function, not a generator
            raise OSError("no such device")

    pipelines = [Raising(), *fake_pipelines]
    updates = list(run_all(pipelines, "q", [[]] * len(pipelines)))
    assert [u.error for u in updates if u.index == 0] == [INTERNAL_ERROR]
    assert any(u.index == 3 and u.answer and u.answer.done for u in updates)
