"""Ranking measures over citations: a citation is relevant when its excerpt matches one of the
question's evidence spans (spans are verbatim, so a match can only come from where they stand)."""

from __future__ import annotations

from collections.abc import Sequence

from eval.measures.match import matches_evidence


def first_relevant_rank(cited: Sequence[tuple[str, str]], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first relevant citation; `cited` holds (doc_id, excerpt) pairs."""
    for rank, (_doc_id, excerpt) in enumerate(cited, start=1):
        if matches_evidence(excerpt, evidence):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions with a relevant citation in the top k."""
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks) if ranks else 0.0
