"""Answer selection, between retrieval and abstention: the candidate spans inside the best
passages (candidate features), their scores (the feature registry), and the extension of the best
one to what it needs to stand alone. Takes the loaded knowledge base and the earlier stages'
results, returns data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from indexer.chunking import Candidate
from indexer.models import UnitKind
from service.qa.extension import past_echo, with_antecedent
from service.qa.features import CandidateView, best_index, feature_table, novelty, span_scores
from service.qa.knowledge import KnowledgeBase
from service.qa.lexical import LexicalIndex
from service.qa.query import AnalyzedQuery
from service.qa.retrieval import Retrieved
from service.qa.table_scope import question_numbers, table_scope


@dataclass(frozen=True)
class Pool:
    """The answer candidates of a question, with their features by name (row-aligned)."""

    rows: list[int]  # candidate rows of the index
    candidates: list[Candidate]
    features: dict[str, np.ndarray]

    def feature(self, name: str, position: int) -> float:
        return float(self.features[name][position])


def candidate_pool(
    kb: KnowledgeBase, lexical: LexicalIndex, query: AnalyzedQuery, retrieved: Retrieved, passages: int
) -> Pool:
    """The candidates inside the top `passages` passages, in rank order, with their features."""
    ranked = retrieved.ranked
    rows: list[int] = []
    passage_score: list[float] = []
    for i in range(min(passages, ranked.rows.size)):
        in_passage = kb.rows_of(int(ranked.rows[i]))
        rows.extend(in_passage)
        passage_score.extend([float(ranked.fused[i])] * len(in_passage))
    asked = set(query.coverage_terms)
    numbers = question_numbers(query.repaired)
    # Spans are compared on the words the corpus has: an unknown word cannot tell spans apart
    # (its absence is the abstention model's business).
    known = [t for t in query.coverage_terms if lexical.known(t)]
    views = []
    for row, passage in zip(rows, passage_score, strict=True):
        cand = kb.candidates[row]
        own = kb.span_and_lead_terms[row]
        seen = own | kb.context_terms[cand.chunk_id]
        views.append(
            CandidateView(
                question=query.repaired,
                span=kb.span_text(cand),
                lead=kb.lead_text(cand),
                kind=kb.unit_kind(cand),
                single_unit=cand.first == cand.last,
                starts_paragraph=kb.starts_paragraph(cand),
                similarity=float(retrieved.span_similarities[row]),
                passage=passage,
                coverage=lexical.coverage(known, seen),
                own_coverage=lexical.coverage(known, own),
                novelty=novelty(kb.span_terms[row], asked),
                both_sides=query.compared is None or all(side & seen for side in query.compared),
                table_scope=0.0
                if (table := kb.table_rows[row]) is None
                else table_scope(asked, numbers, *table),
            )
        )
    return Pool(rows, [kb.candidates[r] for r in rows], feature_table(views) if views else {})


def choose(kb: KnowledgeBase, pool: Pool, weights: Mapping[str, float]) -> int:
    """Position in the pool of the answer span: the best-scoring one, extended by the sentence
    after it when it only echoes the question and by the one before when it leans on it; -1 for
    an empty pool."""
    if not pool.rows:
        return -1
    best = best_index(span_scores(pool.features, weights))
    chosen = pool.candidates[best]
    sentence = kb.unit_kind(chosen) is UnitKind.SENTENCE
    best = past_echo(
        pool.candidates,
        best,
        kb.span_text(chosen),
        pool.feature("novelty", best),
        single_sentence=sentence and chosen.first == chosen.last,
    )
    chosen = pool.candidates[best]
    return with_antecedent(
        pool.candidates, best, kb.span_text(chosen), sentence=kb.unit_kind(chosen) is UnitKind.SENTENCE
    )
