"""Hybrid retrieval, the second stage of the query path: dense similarity of the question to each
passage, to its context (title, heading path, FAQ question) and to its best answer span, fused
with max-normalised BM25. `fuse` and `candidate_rows` are pure functions over arrays;
`HybridRetriever` holds the index's vectors and fuses what a `PassageSearch` finds: FAISS and
bm25s in process (`FaissSearch`, the default) or a Milvus collection (`service.qa.milvus`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer import ann
from indexer.store import IndexData
from service.qa.access import ALL, Scope
from service.qa.lexical import LexicalIndex
from service.qa.query import AnalyzedQuery


@dataclass(frozen=True)
class FusionWeights:
    """Relative weights of the passage signals; they sum to 1, so a fused score is a weighted mean
    of similarities and normalised BM25, each in [0, 1] for relevant passages."""

    dense: float = 0.4 / 1.5  # the passage's text as a whole
    context: float = 0.1 / 1.5  # its headings: a weak cue, often shared by a whole section
    lexical: float = 0.4 / 1.5  # exact words, names and numbers the dense model blurs
    span: float = 0.6 / 1.5  # its best single answer span: sharp where passages are diffuse


@dataclass(frozen=True)
class PassageScores:
    """Per-candidate-passage signals, row-aligned with `rows` (indices into the chunk list)."""

    rows: np.ndarray
    dense: np.ndarray
    context: np.ndarray
    lexical: np.ndarray
    fused: np.ndarray


@dataclass(frozen=True)
class Retrieved:
    """A question after retrieval: its ranked passages and every answer span's similarity."""

    ranked: PassageScores
    span_similarities: np.ndarray  # one per candidate row of the index
    rankings_agree: bool  # dense and lexical search rank the same passage first


def normalise_bm25(scores: np.ndarray) -> np.ndarray:
    """BM25 scores divided by the best one, so they sit in [0, 1] next to cosine similarities."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def fuse(
    rows: np.ndarray,
    dense: np.ndarray,
    context: np.ndarray,
    bm25_all: np.ndarray,
    span: np.ndarray,
    weights: FusionWeights,
) -> PassageScores:
    return fuse_signals(rows, dense, context, normalise_bm25(bm25_all)[rows], span, weights)


def fuse_signals(
    rows: np.ndarray,
    dense: np.ndarray,
    context: np.ndarray,
    lexical: np.ndarray,
    span: np.ndarray,
    weights: FusionWeights,
) -> PassageScores:
    """`fuse` with the rows' BM25 already normalised (by a search that has no score for every
    passage: `service.qa.bm25_top`)."""
    fused = (
        weights.dense * dense + weights.context * context + weights.lexical * lexical + weights.span * span
    )
    order = np.argsort(-fused, kind="stable")
    return PassageScores(rows[order], dense[order], context[order], lexical[order], fused[order])


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the `k` highest scores, best first, ties in row order. Past a few thousand rows
    a partial sort first: a full sort of a million BM25 scores costs ~80 ms a query."""
    if scores.size <= 4096 or k >= scores.size:
        return np.argsort(-scores, kind="stable")[:k]
    kth = float(np.partition(scores, scores.size - k)[scores.size - k])
    # The partition alone picks any of the rows tied at the k-th score; these are the lowest ones.
    top = np.concatenate([np.flatnonzero(scores > kth), np.flatnonzero(scores == kth)])[:k]
    return top[np.lexsort((top, -scores[top]))]


def range_maxima(values: np.ndarray, first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """max(values[f : f + c]) for each range (0 where c is 0), in one pass rather than a Python
    loop over the ranges. The dtype is what building the array from those maxima and 0.0 gives
    (the values' own, float64 where a range is empty or there are none), so the fused scores
    computed from it keep their precision bit for bit."""
    has = count > 0
    if not has.all() or not count.size:
        out = np.zeros(count.size, dtype=np.float64)
        out[has] = range_maxima(values, first[has], count[has]) if has.any() else 0.0
        return out
    starts = np.cumsum(count) - count  # where each range begins in the gathered values
    gathered = values[np.repeat(first - starts, count) + np.arange(int(count.sum()))]
    return np.maximum.reduceat(gathered, starts)


def candidate_rows(dense_rows: np.ndarray, bm25_all: np.ndarray, depth: int) -> np.ndarray:
    """Union of the dense top-`depth` (from FAISS) and the BM25 top-`depth`."""
    lexical_rows = top_rows(bm25_all, depth)
    lexical_rows = lexical_rows[bm25_all[lexical_rows] > 0]
    return np.unique(np.concatenate([dense_rows.astype(np.int64), lexical_rows.astype(np.int64)]))


class PassageSearch(Protocol):
    """The two searches hybrid retrieval fuses, over the passages of the loaded index (rows of
    `IndexData.chunks`), each limited to a `Scope`."""

    def dense_rows(self, vector: np.ndarray, k: int, scope: Scope) -> np.ndarray:
        """The `k` passages most similar to the question vector, best first."""
        ...

    def bm25(self, terms: Sequence[str], scope: Scope) -> np.ndarray:
        """BM25 score of every passage (0 where out of scope or not among the store's hits)."""
        ...


class FaissSearch:
    """Dense search with FAISS over the index's passage vectors (exact: a regular index is small)
    and BM25 with bm25s; the scope's mask applies inside both."""

    def __init__(self, data: IndexData, lexical: LexicalIndex) -> None:
        self._dense = ann.DenseIndex.build(data.passage_vectors, ann.DenseParams("flat"))
        self._lexical = lexical

    def dense_rows(self, vector: np.ndarray, k: int, scope: Scope) -> np.ndarray:
        return self._dense.search(vector, k, scope.mask)

    def bm25(self, terms: Sequence[str], scope: Scope) -> np.ndarray:
        scores = self._lexical.scores(terms)
        return scores if scope.mask is None else np.where(scope.mask, scores, 0.0).astype(np.float32)


class HybridRetriever:
    def __init__(
        self,
        data: IndexData,
        lexical: LexicalIndex,
        weights: FusionWeights,
        depth: int,
        search: PassageSearch | None = None,
    ) -> None:
        self.data = data
        self.lexical = lexical
        self.weights = weights
        self.depth = depth
        self.search = search or FaissSearch(data, lexical)
        self._clause_owner = np.asarray(data.clause_owner, dtype=np.int64)
        self._first_candidate, self._candidate_count = _candidate_ranges(data)

    def retrieve(
        self, query: AnalyzedQuery, vector: np.ndarray, visible: np.ndarray | Scope | None = None
    ) -> Retrieved:
        """Ranked passages for a question; with `visible` (a Scope, or a mask over the
        passages), only those."""
        scope = visible if isinstance(visible, Scope) else Scope(mask=visible)
        depth = min(self.depth, len(self.data.chunks))
        dense_rows = self.search.dense_rows(vector, depth, scope)
        bm25 = self.search.bm25(query.terms, scope)
        rows = candidate_rows(dense_rows, bm25, depth)
        dense = self.data.passage_vectors[rows] @ vector
        context = self.data.context_vectors[rows] @ vector
        span_sims = self.span_similarities(vector)
        ranked = fuse(rows, dense, context, bm25, self._best_span(rows, span_sims), self.weights)
        agree = bool(
            dense_rows.size and bm25.size and dense_rows[0] == int(np.argmax(bm25)) and bm25.max() > 0
        )
        return Retrieved(ranked, span_sims, agree)

    def dense_rows(self, vector: np.ndarray, k: int, visible: np.ndarray | None = None) -> np.ndarray:
        """The `k` passages most similar to the question vector, best first; with `visible`,
        among those only (a filtered search, not a filter after the fact)."""
        return self.search.dense_rows(vector, k, ALL if visible is None else Scope(mask=visible))

    def span_similarities(self, vector: np.ndarray) -> np.ndarray:
        """Each candidate's similarity to the question: the better of the whole span and its best clause."""
        sims = np.asarray(self.data.candidate_vectors @ vector)
        if self._clause_owner.size:
            np.maximum.at(sims, self._clause_owner, self.data.clause_vectors @ vector)
        return sims

    def _best_span(self, rows: np.ndarray, span_sims: np.ndarray) -> np.ndarray:
        """The best span similarity inside each passage (0 for a passage without candidates)."""
        return range_maxima(span_sims, self._first_candidate[rows], self._candidate_count[rows])


def _candidate_ranges(data: IndexData) -> tuple[np.ndarray, np.ndarray]:
    """For each chunk, its first candidate row and how many it has: the indexer emits a chunk's
    candidates together, in chunk order."""
    owners = np.asarray([c.chunk_id for c in data.candidates], dtype=np.int64)
    count = (
        np.bincount(owners, minlength=len(data.chunks)) if owners.size else np.zeros(len(data.chunks), int)
    )
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    return first, count.astype(np.int64)
