"""Passage search over a large index (`indexer.bulk`): dense search with the index's own dense
index (exact or IVF-SQ8), BM25 from bm25s loaded memory-mapped, fused as the regular retriever fuses
them (`retrieval.fuse`: passage similarity and max-normalised BM25; a bulk index has no heading or
answer-span vectors). BM25 is read off the postings of the query's terms (`bm25_top`), not scored
for every passage; `exhaustive_ranked` is the reference it is checked against. Every per-passage
field is read from a memory map on demand, so the process holds little more than the pages its
queries touch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from indexer import ann
from indexer.bulk import StringTable, read_bulk_manifest
from service.qa.bm25_top import PostingsScorer
from service.qa.lexical import LexicalIndex
from service.qa.retrieval import FusionWeights, candidate_rows, fuse, fuse_signals


@dataclass(frozen=True)
class BulkHit:
    row: int
    score: float
    title: str
    section: str
    excerpt: str


class BulkSearch:
    def __init__(self, folder: Path, depth: int = 50, weights: FusionWeights | None = None) -> None:
        self.manifest: dict[str, Any] = read_bulk_manifest(folder)
        self.vectors = ann.random_access(np.load(folder / "vectors.npy", mmap_mode="r"))
        self.dense = ann.DenseIndex.load(
            folder / "dense.faiss", self.vectors, ann.DenseParams.from_json(self.manifest["dense"])
        )
        bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
        self.lexical = LexicalIndex(bm25)
        self.postings = PostingsScorer(
            bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"], self.lexical.n
        )
        self.doc_of = np.load(folder / "doc_of.npy", mmap_mode="r")
        self.heading_of = np.load(folder / "heading_of.npy", mmap_mode="r")
        self.texts, self.titles, self.headings = (
            StringTable.load(folder, n) for n in ("texts", "titles", "headings")
        )
        self.depth = depth
        self.weights = weights or FusionWeights()

    def rows(self, vector: np.ndarray, terms: Sequence[str], visible: np.ndarray | None = None) -> np.ndarray:
        """Passage rows ranked by the fused score, best first (at most 2 x depth)."""
        return self.ranked(vector, terms, visible)[0]

    def ranked(
        self, vector: np.ndarray, terms: Sequence[str], visible: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and fused scores, best first."""
        dense_rows = self.dense.search(vector, self.depth, visible)
        hits = self.postings.hits(self.lexical.term_ids(terms), self.depth, dense_rows, visible)
        lexical = hits.scores / hits.top if hits.top > 0 else np.zeros_like(hits.scores)
        dense = self.dense.rows(hits.rows) @ vector
        zeros = np.zeros(len(hits.rows), dtype=np.float32)
        scored = fuse_signals(hits.rows, dense, zeros, lexical, zeros, self.weights)
        return scored.rows, scored.fused

    def search(self, vector: np.ndarray, terms: Sequence[str], k: int) -> list[BulkHit]:
        rows, scores = self.ranked(vector, terms)
        return [
            BulkHit(
                int(r),
                float(s),
                self.titles[int(self.doc_of[r])],
                self.headings[int(self.heading_of[r])],
                self.texts[int(r)],
            )
            for r, s in zip(rows[:k], scores[:k], strict=True)
        ]


def exhaustive_ranked(
    search: BulkSearch, vector: np.ndarray, terms: Sequence[str], visible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`BulkSearch.ranked` with BM25 scored for every passage (bm25s) and a partial sort over
    all of them: the reference the postings path is compared with (tests, `eval.large`)."""
    dense_rows = search.dense.search(vector, search.depth, visible)
    bm25 = search.lexical.scores(terms)
    if visible is not None:
        bm25 = np.where(visible, bm25, 0.0).astype(np.float32)
    rows = candidate_rows(dense_rows, bm25, search.depth)
    dense = search.dense.rows(rows) @ vector
    zeros = np.zeros(len(rows), dtype=np.float32)
    scored = fuse(rows, dense, zeros, bm25, zeros, search.weights)
    return scored.rows, scored.fused
