"""The abstention model's inputs for a chosen span, read off the earlier stages' results."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from service.qa.abstention import READER_LOGIT_CLIP, Signals
from service.qa.answer_types import type_mismatch
from service.qa.features import READER_FEATURE
from service.qa.knowledge import KnowledgeBase
from service.qa.lexical import LexicalIndex
from service.qa.query import AnalyzedQuery
from service.qa.retrieval import Retrieved
from service.qa.selection import Pool

# How much the chosen span's similarity to the question must drop when a word the corpus lacks
# is left out of the question for that word to count as known to the corpus (corpus_coverage):
# the span then says it in other words. Below it, the word is noise to the span or absent from
# it. 0.01 and 0.02 gave the same leave-one-knowledge-base-out results, 0.03 worse.
PARAPHRASE_GAIN = 0.02


def paraphrased_terms(
    kb: KnowledgeBase, row: int, similarity: float, without: Mapping[str, np.ndarray]
) -> set[str]:
    """The question's words the corpus lacks but the chosen span says in other words: leaving
    such a word out of the question (`without`: the question's vector without each) lowers the
    span's similarity by more than PARAPHRASE_GAIN ("is the office shut on bank holidays" against
    "The office closes on public holidays"). A word the span says nothing about leaves the
    similarity as it is or raises it."""
    if not without:
        return set()
    data = kb.data
    span = np.asarray(data.candidate_vectors[row])[None, :]
    owned = np.asarray(data.clause_owner, dtype=np.int64) == row
    if owned.any():
        span = np.vstack([span, np.asarray(data.clause_vectors)[owned]])
    sims = (span @ np.stack(list(without.values())).T).max(axis=0)
    return {t for t, sim in zip(without, sims, strict=True) if similarity - float(sim) > PARAPHRASE_GAIN}


def abstention_signals(
    kb: KnowledgeBase,
    lexical: LexicalIndex,
    query: AnalyzedQuery,
    retrieved: Retrieved,
    pool: Pool,
    best: int,
    without: Mapping[str, np.ndarray],
) -> Signals:
    ranked, terms = retrieved.ranked, query.coverage_terms
    known = {t for t in terms if lexical.known(t)}
    similarity = pool.feature("similarity", best) if best >= 0 else 0.0
    if best >= 0:
        known |= paraphrased_terms(kb, pool.rows[best], similarity, without)
    fused = ranked.fused
    margin = float(fused[0] - fused[1]) if fused.size > 1 else float(fused[0]) if fused.size else 0.0
    return Signals(
        span_similarity=similarity,
        passage_dense=float(ranked.dense[0]) if ranked.dense.size else 0.0,
        span_coverage=pool.feature("coverage", best) if best >= 0 else 0.0,
        corpus_coverage=lexical.coverage(terms, known) if terms else 0.0,
        passage_margin=margin,
        type_mismatch=type_mismatch(query.repaired, kb.span_text(pool.candidates[best]))
        if best >= 0
        else 0.0,
        rankings_agree=float(retrieved.rankings_agree),
        reader_logit=_logit(pool, best),
    )


def _logit(pool: Pool, best: int) -> float:
    """The reranker's logit for the chosen span, clipped (0 when the pool was not read)."""
    if best < 0 or READER_FEATURE not in pool.features:
        return 0.0
    return min(max(pool.feature(READER_FEATURE, best), -READER_LOGIT_CLIP), READER_LOGIT_CLIP)
