"""BM25 read off the query's postings (`service.qa.bm25_top`): by hand on a matrix of five
passages, and against the exhaustive path it replaced (every passage scored by bm25s, a partial
sort over all of them) on a synthetic large index, where the fused top 10 and their scores must be
the same bit for bit, with and without an access mask, through both ways of finding candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.qa import bm25_top
from service.qa.bm25_top import PostingsScorer, kth_lower_bound, top_rows_of
from service.qa.retrieval import top_rows

# Columns of a BM25 matrix (term -> passage rows and scores), five passages:
#   term 0: passages 0, 2, 4 with 1.0, 2.0, 0.5
#   term 1: passages 2, 3 with 1.0, 3.0
#   term 2: passage 1 with 0.25
DATA = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 0.25], dtype=np.float32)
INDICES = np.array([0, 2, 4, 2, 3, 1], dtype=np.int32)
INDPTR = np.array([0, 3, 5, 6], dtype=np.int64)


@pytest.fixture
def scorer() -> PostingsScorer:
    return PostingsScorer(DATA, INDICES, INDPTR, 5)


def test_hits_by_hand(scorer: PostingsScorer) -> None:
    # terms 0 and 1: passage 0 1.0, 2 2.0+1.0 = 3.0, 3 3.0, 4 0.5; 2 and 3 tie, the lower row first
    hits = scorer.hits([0, 1], 2, extra=np.array([1]))
    assert hits.rows.tolist() == [1, 2, 3]  # the extra row (no score) and the top two
    assert hits.scores.tolist() == [0.0, 3.0, 3.0] and hits.top == 3.0
    assert scorer.hits([0, 1], 1, extra=np.array([1])).rows.tolist() == [1, 2]


def test_hits_keep_to_the_mask_and_count_a_repeated_term_twice(scorer: PostingsScorer) -> None:
    hidden = np.array([True, True, False, True, True])
    hits = scorer.hits([0, 1], 1, extra=np.array([2]), visible=hidden)
    assert hits.rows.tolist() == [2, 3] and hits.scores.tolist() == [0.0, 3.0] and hits.top == 3.0
    # term 0 twice: passage 2 scores 2.0 + 2.0 + 1.0
    hits = scorer.hits([0, 0, 1], 1, extra=np.zeros(0, int))
    assert hits.rows.tolist() == [2] and hits.top == 5.0


def test_no_terms_leave_only_the_extra_rows_and_the_buffer_clean(scorer: PostingsScorer) -> None:
    hits = scorer.hits([], 3, extra=np.array([4, 0]))
    assert hits.rows.tolist() == [0, 4] and hits.scores.tolist() == [0.0, 0.0] and hits.top == 0.0
    scorer.hits([0, 1, 2], 2, extra=np.array([1]))
    assert not scorer._buffer().any()  # summed scores are cleared for the next query


def test_kth_lower_bound_by_hand() -> None:
    scores = np.array([5.0, 1.0, 4.0, 2.0], dtype=np.float32)
    # the sample [5, 1, 2] has 2 as its 2nd best; the true 2nd best is 4
    assert kth_lower_bound(scores, np.array([0, 1, 3]), 2) == 2.0
    assert kth_lower_bound(scores, np.array([0, 1, 3]), 4) == 0.0  # fewer than k sampled


def test_top_rows_of_breaks_ties_by_row_and_drops_zeros() -> None:
    scores = np.array([0.0, 2.0, 3.0, 2.0, 0.0, 2.0], dtype=np.float32)
    assert top_rows_of(np.array([0, 1, 2, 3, 4, 5]), scores, 3).tolist() == [2, 1, 3]
    assert top_rows_of(np.array([0, 4]), scores, 3).tolist() == []


def test_partial_sort_top_rows_breaks_ties_by_row() -> None:
    """Past 4,096 scores `top_rows` partitions first; a full stable sort is the oracle."""
    rng = np.random.default_rng(1)
    for _ in range(50):
        scores = rng.integers(0, 20, size=int(rng.integers(4097, 9000))).astype(np.float32)
        k = int(rng.integers(1, 200))
        assert top_rows(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from eval.large import build

    out = tmp_path_factory.mktemp("bm25top") / "bulk"
    build(6000, out, exact_max=1000)
    return out


@pytest.mark.parametrize(("dense_share", "sample"), [(0.25, 2048), (0.0, 16), (1.0, 64)])
def test_fused_search_equals_the_exhaustive_one(
    bulk: Path, monkeypatch: pytest.MonkeyPatch, dense_share: float, sample: int
) -> None:
    """Frequent words (long postings, many ties) and rarer ones, with and without a mask."""
    from indexer import ann
    from service.qa.bulk import BulkSearch, exhaustive_ranked

    monkeypatch.setattr(bm25_top, "DENSE_SHARE", dense_share)
    monkeypatch.setattr(bm25_top, "SAMPLE", sample)
    search = BulkSearch(bulk)
    rng = np.random.default_rng(5)
    vocab = list(search.lexical._bm25.vocab_dict)
    queries = ann.sample_queries(search.vectors, 60, noise=0.8, seed=2)
    mask = rng.random(search.lexical.n) < 0.5
    for i, vector in enumerate(queries):
        terms = [str(t) for t in rng.choice(vocab[: 50 if i % 2 else 2000], size=4)]
        for visible in (None, mask):
            got = search.ranked(vector, terms, visible)
            expected = exhaustive_ranked(search, vector, terms, visible)
            assert got[0].tolist() == expected[0].tolist()
            assert got[1].tolist() == expected[1].tolist()
