"""Lexical matching over the index's saved BM25 (bm25s): passage scores for a question's terms,
and IDF weights for how much of a question a text covers. Document frequencies are read off the
BM25 matrix itself (one column per term), so nothing is counted twice."""

from __future__ import annotations

import math
from collections.abc import Sequence

import bm25s
import numpy as np


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25
        self.n = int(bm25.scores["num_docs"])
        indptr = np.asarray(bm25.scores["indptr"])
        doc_freq = np.diff(indptr)
        # Lucene's BM25 IDF, as bm25s scores with (method "lucene", its default).
        self._idf = {
            term: math.log(1 + (self.n - int(doc_freq[i]) + 0.5) / (int(doc_freq[i]) + 0.5))
            for term, i in bm25.vocab_dict.items()
            if i < doc_freq.size  # bm25s keeps a placeholder "" past the indexed terms
        }
        # An unknown term weighs as much as one in no passage: a question about something absent
        # should count it fully.
        self.max_idf = math.log(1 + (self.n + 0.5) / 0.5)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage; terms the index lacks add nothing."""
        known = [t for t in terms if t in self._idf]
        if not known or self.n == 0:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def term_ids(self, terms: Sequence[str]) -> list[int]:
        """The columns of the terms the index has, in order (repeats kept), as `scores` reads them."""
        vocab = self._bm25.vocab_dict
        return [int(vocab[t]) for t in terms if t in self._idf]

    def idf(self, term: str) -> float:
        return self._idf.get(term, self.max_idf)

    def known(self, term: str) -> bool:
        return term in self._idf

    def coverage(self, terms: Sequence[str], text_terms: set[str]) -> float:
        """IDF-weighted share of the (distinct) question terms found in a text."""
        distinct = set(terms)
        total = sum(self.idf(t) for t in distinct)
        if total == 0:
            return 0.0
        return sum(self.idf(t) for t in distinct if t in text_terms) / total
