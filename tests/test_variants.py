"""Search-box variants of written questions (training/variants.py), checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz.distance import OSA

from training.config import TrainConfig
from training.dataset import as_keywords
from training.pairs import Example
from training.train import parse_args
from training.variants import keyword_query, misspelled


def test_a_keyword_query_keeps_the_content_words_in_order_once() -> None:
    assert keyword_query("When did the Roman Empire fall?") == "roman empire fall"
    assert keyword_query("What is the deadline for an expense report?") == "deadline expense report"
    assert keyword_query("Who paid the tax, and which tax was it?") == "paid tax"


def test_a_question_of_one_content_word_has_no_keyword_query() -> None:
    assert keyword_query("What is it?") is None
    assert keyword_query("Who was Napoleon?") is None


def test_a_typo_is_one_edit_in_one_longer_word_never_its_first_letter() -> None:
    question = "Which river flows through the capital city?"
    typo = misspelled(question, "q1")
    assert typo is not None and typo != question
    assert typo == misspelled(question, "q1")  # the seed decides: the same every run
    changed = [(a, b) for a, b in zip(question.split(), typo.split(), strict=True) if a != b]
    ((word, typed),) = changed
    assert len(word) >= 5 and word.lower() not in {"which", "through"}
    assert typed[0] == word[0]
    assert OSA.distance(word, typed) == 1  # one swap, drop or doubling


def test_a_question_without_a_long_content_word_gets_no_typo() -> None:
    assert misspelled("Who is he?", "q2") is None


def test_keyword_groups_keep_the_candidates_of_answered_squad_questions_only() -> None:
    paragraph = ("The empire split in 395.", "The western half fell in 476.")
    answered = Example("q1", "When did the Roman Empire fall?", "Rome", paragraph, 1, (("Gaul", "x"),))
    too_short = Example("q2", "Who was Napoleon?", "Rome", paragraph, 0, ())
    near_miss = Example("q3", "When did the Roman Empire rise?", "Rome", paragraph, -1, ())
    page = Example("p1", "When is the canteen open?", "", ("Canteen: 8 to 3",), 0, (), structured=True)
    (keywords,) = as_keywords([answered, too_short, near_miss, page])
    assert keywords == Example(
        "q1/k", "roman empire fall", "Rome", paragraph, 1, (("Gaul", "x"),), structured=False
    )


def test_the_keyword_rate_is_a_share_left_out_of_the_shipped_settings() -> None:
    assert "keyword_rate" not in TrainConfig(squad=Path("s"), out=Path("o")).settings()
    assert TrainConfig(squad=Path("s"), out=Path("o"), keyword_rate=0.1).settings()["keyword_rate"] == 0.1
    assert parse_args(["--squad", "s", "--out", "o", "--keyword-rate", "0.1"]).keyword_rate == 0.1
    with pytest.raises(SystemExit):
        parse_args(["--squad", "s", "--out", "o", "--keyword-rate", "-0.1"])
