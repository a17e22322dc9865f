"""Answer accuracy: share of answerable questions whose answer matches one evidence span
(a null answer counts as wrong)."""

from __future__ import annotations

from collections.abc import Sequence

from eval.measures.match import matches_evidence


def answer_accuracy(answers: Sequence[str | None], evidence: Sequence[Sequence[str]]) -> float:
    if not answers:
        return 0.0
    hits = sum(matches_evidence(a, ev) for a, ev in zip(answers, evidence, strict=True))
    return hits / len(answers)
