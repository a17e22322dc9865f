"""Measures against values computed by hand."""

import pytest

from eval.measures import (
    abstention_accuracy,
    answer_accuracy,
    false_abstention_rate,
    first_relevant_rank,
    matches_evidence,
    mrr,
    recall_at,
    token_overlap,
    wilson_interval,
)
from eval.measures.match import longest_common_run


def test_longest_common_run() -> None:
    assert longest_common_run(list("abcde"), list("xbcdy")) == 3
    assert longest_common_run([], ["a"]) == 0


def test_token_overlap_is_relative_to_the_span() -> None:
    # the span has 6 tokens; the answer shares the run "the ceo ranks above the" (5)
    assert token_overlap("The CEO ranks above the board.", "the CEO ranks above the COO") == pytest.approx(
        5 / 6
    )
    assert token_overlap("anything", "") == 0.0


def test_matches_evidence_threshold() -> None:
    span = "one two three four five"
    assert matches_evidence("zero one two three", [span])  # 3/5 = 0.6
    assert not matches_evidence("one two", [span])  # 2/5
    assert not matches_evidence(None, [span])


def test_ranking_measures() -> None:
    ranks = [1, 3, None, 2]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 3) == 0.75
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)


def test_first_relevant_rank_needs_matching_excerpt() -> None:
    cited = [("a", "nothing relevant here"), ("b", "the CRO reports to the CEO")]
    assert first_relevant_rank(cited, ["CRO reports to the CEO"]) == 2
    assert first_relevant_rank(cited, ["unrelated words entirely"]) is None


def test_answer_and_abstention_measures() -> None:
    assert answer_accuracy(["a b c", None], [["a b c"], ["x"]]) == 0.5
    assert abstention_accuracy([None, "x", None, None]) == 0.75
    assert false_abstention_rate(["x", None]) == 0.5


def test_wilson_interval_against_values_computed_by_hand() -> None:
    # 24 of 30, z = 1.96: centre (0.8 + z²/60) / (1 + z²/30), half-width
    # z·sqrt(0.8·0.2/30 + z²/3600) / (1 + z²/30) -> 0.6269 .. 0.9049
    assert wilson_interval(24, 30) == pytest.approx((0.6269, 0.9049), abs=1e-4)
    # none of 10: the interval starts at 0 and is not empty, z²/(10 + z²) -> 0.2775
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)  # nothing measured, nothing known
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)
