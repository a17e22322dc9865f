import numpy as np
import pytest

from service.qa.pipeline import QAPipeline
from service.qa.retrieval import FusionWeights, candidate_rows, fuse, normalise_bm25, range_maxima


def test_normalise_bm25() -> None:
    assert normalise_bm25(np.array([2.0, 1.0, 0.0])).tolist() == [1.0, 0.5, 0.0]
    assert normalise_bm25(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_fuse_by_hand() -> None:
    rows = np.array([0, 1])
    weights = FusionWeights(dense=1.0, context=0.5, lexical=2.0, span=0.0)
    # row 0: 0.2 + 0.5*0.4 + 2*(1/4) = 0.9 ; row 1: 0.6 + 0.5*0.0 + 2*(4/4) = 2.6
    out = fuse(rows, np.array([0.2, 0.6]), np.array([0.4, 0.0]), np.array([1.0, 4.0]), np.zeros(2), weights)
    assert out.rows.tolist() == [1, 0]
    assert out.fused.tolist() == pytest.approx([2.6, 0.9])


def test_candidate_rows_union_skips_zero_bm25() -> None:
    rows = candidate_rows(np.array([3, 1]), np.array([0.0, 0.0, 5.0, 0.0]), depth=2)
    assert rows.tolist() == [1, 2, 3]


def test_range_maxima_by_hand() -> None:
    values = np.array([0.1, 0.7, 0.3, 0.9, 0.2], dtype=np.float32)
    # ranges [1:3] -> 0.7, [3:4] -> 0.9, [0:5] -> 0.9, in the order asked, overlapping
    out = range_maxima(values, np.array([1, 3, 0]), np.array([2, 1, 5]))
    assert out.dtype == np.float32 and out.tolist() == pytest.approx([0.7, 0.9, 0.9])
    # an empty range is 0, and the result is float64, as the per-passage loop built it
    out = range_maxima(values, np.array([4, 0]), np.array([0, 2]))
    assert out.dtype == np.float64 and out.tolist() == pytest.approx([0.0, 0.7])
    assert range_maxima(values, np.zeros(0, int), np.zeros(0, int)).dtype == np.float64


def test_range_maxima_equals_the_loop_bit_for_bit() -> None:
    """The loop it replaced is the oracle: same values and dtype, so fused scores do not move."""
    rng = np.random.default_rng(7)
    for _ in range(500):
        values = rng.standard_normal(60).astype(np.float32)
        first = rng.integers(0, 50, size=int(rng.integers(0, 9)))
        count = rng.integers(0, 5, size=first.size) * (rng.random(first.size) < 0.8)
        loop = np.array([values[f : f + c].max() if c else 0.0 for f, c in zip(first, count, strict=True)])
        got = range_maxima(values, first, count)
        assert got.dtype == loop.dtype and np.array_equal(got, loop)


def test_faiss_dense_ranking_matches_brute_force(kb: QAPipeline) -> None:
    """Exact numpy search is the oracle for the FAISS index the service searches."""
    vectors = np.asarray(kb.kb.data.passage_vectors)
    for question in ["who outranks the COO?", "CSO vs CRO performance metrics", "budget planning"]:
        q = kb.embedder.embed([question])[0]
        oracle = np.argsort(-(vectors @ q), kind="stable")[:10]
        assert kb.retriever.dense_rows(q, 10).tolist() == oracle.tolist()
