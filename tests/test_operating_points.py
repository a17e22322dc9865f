"""The abstention trade-off from one run with abstention off: hand-computed figures."""

from __future__ import annotations

import math

from eval.measures.operating_points import Judged, OperatingPoint, meeting, operating_points

# Four answerable questions (two answered right, one wrong, one with no answer at all) and
# two unanswerable ones, each with the confidence its answer had.
RUN = [
    Judged(answerable=True, right=True, confidence=0.9),
    Judged(answerable=True, right=True, confidence=0.6),
    Judged(answerable=True, right=False, confidence=0.7),
    Judged(answerable=True, right=False, confidence=None),  # no candidate: declined at any threshold
    Judged(answerable=False, right=False, confidence=0.3),
    Judged(answerable=False, right=False, confidence=0.6),
]


def test_a_point_at_every_distinct_confidence_and_at_infinity() -> None:
    points = operating_points(RUN)
    assert [p.threshold for p in points] == [0.3, 0.6, 0.7, 0.9, math.inf]
    # 0.3: everything with an answer is given: 2 of 4 right, 0 of 2 declined, 1 of 4 declined.
    assert points[0] == OperatingPoint(0.3, 0.5, 0.0, 0.25)
    # 0.6: the 0.3 unanswerable one declined; 0.6 is kept (>=).
    assert points[1] == OperatingPoint(0.6, 0.5, 0.5, 0.25)
    # 0.7: the right 0.6 answer and the 0.6 unanswerable one go.
    assert points[2] == OperatingPoint(0.7, 0.25, 1.0, 0.5)
    assert points[3] == OperatingPoint(0.9, 0.25, 1.0, 0.75)
    assert points[4] == OperatingPoint(math.inf, 0.0, 1.0, 1.0)


def test_meeting_keeps_the_points_within_all_three_targets() -> None:
    points = operating_points(RUN)
    assert [p.threshold for p in meeting(points, 0.5, 0.5, 0.25)] == [0.6]
    assert meeting(points, 0.75, 0.0, 1.0) == []  # span choice caps answer accuracy at 0.5
    assert [p.threshold for p in meeting(points, 0.0, 1.0, 0.5)] == [0.7]


def test_an_empty_run_declines_everything_with_no_division_by_zero() -> None:
    assert operating_points([]) == [OperatingPoint(math.inf, 0.0, 0.0, 0.0)]
