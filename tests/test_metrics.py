import pytest

from evaluation.metrics import abstained, contains, exact_match, normalize, token_f1


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("The 60 days.", "60 days"),
        ("An  Apple, a day!", "apple day"),
        ("99.9 %", "999"),
        ("192.168.40.1", "192168401"),
        ("Theory of the case", "theory of case"),  # "the" inside a word is kept: "theory"
        ("SEVEN", "seven"),
    ],
)
def test_normalize(raw, normal):
    assert normalize(raw) == normal


def test_exact_match_ignores_case_punctuation_and_articles():
    assert exact_match("The 60 days.", ["60 days"]) == 1.0
    assert exact_match("60 days' notice", ["60 days"]) == 0.0
    assert exact_match("7", ["seven"]) == 0.0  # numbers as words are not normalised
    assert exact_match("seven", ["7", "seven"]) == 1.0


def test_token_f1_by_hand():
    # guess: [notice, is, 60, days]; gold: [60, days]; common 2 -> P=2/4, R=2/2, F1=2/3
    assert token_f1("Notice is 60 days", ["60 days"]) == pytest.approx(2 / 3)
    assert token_f1("30 days", ["60 days"]) == pytest.approx(0.5)
    assert token_f1("nothing alike", ["60 days"]) == 0.0
    assert token_f1("", [""]) == 1.0
    assert token_f1("60 days", ["sixty days", "60 days"]) == 1.0  # best gold answer counts


def test_contains_needs_whole_words():
    assert contains("The SLA commits to 99.9 % uptime.", ["99.9 %"]) == 1.0
    assert contains("It is 160 days", ["60 days"]) == 0.0
    assert contains("anything", []) == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The documents do not contain the answer.", True),
        ("The context does not say.", True),
        ("I don't know.", True),
        ("The notice period is 60 days.", False),
    ],
)
def test_abstention(text, expected):
    assert abstained(text) is expected
