import numpy as np
import pytest

from service.qa.pipeline import QAPipeline
from service.qa.retrieval import FusionWeights, candidate_rows, fuse, normalise_bm25


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


def test_faiss_dense_ranking_matches_brute_force(kb: QAPipeline) -> None:
    """Exact numpy search is the oracle for the FAISS index the service searches."""
    vectors = np.asarray(kb.kb.data.passage_vectors)
    for question in ["who outranks the COO?", "CSO vs CRO performance metrics", "budget planning"]:
        q = kb.embedder.embed([question])[0]
        oracle = np.argsort(-(vectors @ q), kind="stable")[:10]
        assert kb.retriever.dense_rows(q, 10).tolist() == oracle.tolist()
