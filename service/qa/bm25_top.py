"""BM25 for a large index without a score for every passage: the query's postings are summed
into a per-thread buffer, and only the passages they touch are read back, so a search costs in
proportion to the postings of its terms, not to the size of the index.

The exhaustive path (`LexicalIndex.scores`, then `retrieval.candidate_rows` and `fuse`) made a
score array of every passage and ran about ten passes over it (allocation, `np.add.at`, a partial
sort, the maximum, the normalisation): at a million passages that was ~17 ms a query, whatever
the terms. What fusion needs is less: the top-`k` rows by BM25, the score of each dense hit, and
the best score (the normaliser). `lexical_hits` returns exactly those. The scores are the same
float32 sums in the same term order as bm25s's (each term's postings list holds a passage once,
so `buf[rows] += scores` adds what `np.add.at` adds), hence bit for bit the same values; ties at
the k-th score are broken by row (lowest first), where a partial sort picked any."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Rows sampled from the touched ones to bound the k-th score from below (see `kth_lower_bound`):
# at 1M passages 2,048 cost least (0.5 ms a query; 4,096: 0.9 ms, the sample's own sort).
SAMPLE = 2048
# Past this share of the index's passages touched, one pass over the whole buffer (to find the
# candidates, to clear it) is cheaper than going through the postings again.
DENSE_SHARE = 0.25


@dataclass(frozen=True)
class LexicalHits:
    """What hybrid fusion reads of BM25: `rows` (ascending) are the rows asked for and the top
    `k` with a positive score, `scores` their BM25 (0 where not visible), `top` the best visible
    score (0 when no visible passage has the terms)."""

    rows: np.ndarray
    scores: np.ndarray
    top: float


def kth_lower_bound(scores: np.ndarray, sample: np.ndarray, k: int) -> float:
    """A score no higher than the k-th best of the touched passages: the k-th best among a
    sample of distinct touched rows (a subset cannot have a higher k-th best). 0 when the sample
    holds fewer than k passages, which makes every touched passage a candidate."""
    values = scores[sample]
    if values.size < k:
        return 0.0
    return float(np.partition(values, values.size - k)[values.size - k])


def top_rows_of(candidates: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """The `k` best candidate rows with a positive score, best first, ties by row."""
    values = scores[candidates]
    keep = values > 0
    candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values))[:k]
    return candidates[order]


def _sample(lists: Sequence[np.ndarray], visible: np.ndarray | None) -> np.ndarray:
    """About SAMPLE distinct visible rows spread over the touched ones (each postings list
    contributes in proportion to its length)."""
    total = sum(len(rows) for rows in lists)
    step = max(1, total // SAMPLE)
    sample = np.unique(np.concatenate([rows[::step] for rows in lists]))
    return sample if visible is None else sample[visible[sample]]


def _candidates(
    buf: np.ndarray, lists: Sequence[np.ndarray], bound: float, visible: np.ndarray | None
) -> np.ndarray:
    """Every visible touched row scoring at least `bound` (and above 0), ascending."""
    if sum(len(rows) for rows in lists) > DENSE_SHARE * buf.size:
        found = np.flatnonzero(buf >= bound) if bound > 0 else np.flatnonzero(buf > 0)
    else:
        found = np.unique(np.concatenate([rows[buf[rows] >= bound] for rows in lists]))
    return found if visible is None else found[visible[found]]


class PostingsScorer:
    """BM25 from bm25s's saved matrix (one column of passage rows and scores per term, possibly
    memory-mapped), scored through a reusable buffer per thread: 4 bytes a passage (4 MB at a
    million) for each thread that searches, zeroed again after every query."""

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n: int) -> None:
        self.data, self.indices, self.indptr, self.n = data, indices, indptr, n
        self._local = threading.local()

    def _buffer(self) -> np.ndarray:
        buf: np.ndarray | None = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = np.zeros(self.n, dtype=np.float32)
        return buf

    def hits(
        self, term_ids: Sequence[int], k: int, extra: np.ndarray, visible: np.ndarray | None = None
    ) -> LexicalHits:
        """The top `k` rows by BM25 for these terms (repeats count again, as in bm25s) and the
        scores of `extra` rows (the dense hits)."""
        spans = [(int(self.indptr[t]), int(self.indptr[t + 1])) for t in term_ids]
        lists = [np.asarray(self.indices[s:e], dtype=np.int64) for s, e in spans]
        buf = self._buffer()
        try:
            for rows, (s, e) in zip(lists, spans, strict=True):
                buf[rows] += self.data[s:e]
            found = np.zeros(0, dtype=np.int64)
            if any(len(rows) for rows in lists):
                bound = kth_lower_bound(buf, _sample(lists, visible), k)
                found = top_rows_of(_candidates(buf, lists, bound, visible), buf, k)
            rows = np.unique(np.concatenate([np.asarray(extra, dtype=np.int64), found]))
            scores = buf[rows]
            top = float(buf[found[0]]) if found.size else 0.0
        finally:
            self._clear(buf, lists)
        if visible is not None:
            scores = np.where(visible[rows], scores, 0.0).astype(np.float32)
        return LexicalHits(rows, scores, top)

    @staticmethod
    def _clear(buf: np.ndarray, lists: Sequence[np.ndarray]) -> None:
        if sum(len(rows) for rows in lists) > DENSE_SHARE * buf.size:
            buf.fill(0.0)
        else:
            for rows in lists:
                buf[rows] = 0.0
