"""The abstention trade-off: answer accuracy, abstention accuracy and false abstentions at every
threshold, from one run with abstention off.

A threshold decides only which answers are given, not which span is chosen, so one run that
answers everything it can (each question's answer, whether it was right, and its confidence) is
enough to tell what any threshold would give — and whether any threshold meets a set of targets
at all, or the span choice or the confidence ranking is what falls short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Judged:
    """One question of a run with abstention off."""

    answerable: bool
    right: bool  # the answer given was right (False when there was none)
    confidence: float | None  # None: no answer at all, at any threshold


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float  # answers given at confidence >= threshold
    answer_accuracy: float  # right answers / answerable questions
    abstention_accuracy: float  # declined / unanswerable questions
    false_abstentions: float  # declined / answerable questions


def operating_points(judged: Sequence[Judged]) -> list[OperatingPoint]:
    """The point at every distinct confidence (each one a place where an outcome changes) and at
    infinity (decline everything), by ascending threshold."""
    thresholds = [*sorted({j.confidence for j in judged if j.confidence is not None}), math.inf]
    answerable = [j for j in judged if j.answerable]
    unanswerable = [j for j in judged if not j.answerable]

    def given(j: Judged, t: float) -> bool:
        return j.confidence is not None and j.confidence >= t

    def share(count: int, of: list[Judged]) -> float:
        return count / len(of) if of else 0.0

    return [
        OperatingPoint(
            threshold=t,
            answer_accuracy=share(sum(j.right and given(j, t) for j in answerable), answerable),
            abstention_accuracy=share(sum(not given(j, t) for j in unanswerable), unanswerable),
            false_abstentions=share(sum(not given(j, t) for j in answerable), answerable),
        )
        for t in thresholds
    ]


def meeting(
    points: Sequence[OperatingPoint], min_accuracy: float, min_abstention: float, max_false_abstentions: float
) -> list[OperatingPoint]:
    """The points that meet all three targets."""
    return [
        p
        for p in points
        if p.answer_accuracy >= min_accuracy
        and p.abstention_accuracy >= min_abstention
        and p.false_abstentions <= max_false_abstentions
    ]
