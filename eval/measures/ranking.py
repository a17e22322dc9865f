"""Ranking measures over citations: a citation is relevant when it comes from the question's
source document and its excerpt matches an evidence span."""

from __future__ import annotations

from collections.abc import Sequence

from eval.measures.match import matches_evidence


def first_relevant_rank(
    cited: Sequence[tuple[str, str]], source_doc: str, evidence: Sequence[str]
) -> int | None:
    """1-based rank of the first relevant citation; `cited` holds (doc_id, excerpt) pairs."""
    for rank, (doc_id, excerpt) in enumerate(cited, start=1):
        if doc_id == source_doc and matches_evidence(excerpt, evidence):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions with a relevant citation in the top k."""
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks) if ranks else 0.0
