"""The dense index chosen by size, against exact search as the oracle: the approximate (IVF)
index finds the exact top 10 on clustered synthetic vectors, keeps to the access filter's mask,
and survives a save and load; BM25 built from token ids scores as bm25s's own indexing does."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
import pytest

from eval.synthetic import Shape, clustered_vectors, generate
from indexer import ann
from indexer.bulk import bm25_from_ids


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered_vectors(6000, dim=48, seed=3)


@pytest.fixture(scope="module")
def ivf(vectors: np.ndarray) -> ann.DenseIndex:
    index = ann.DenseIndex.build(vectors, ann.choose(len(vectors), exact_max=1000))
    index.tune(ann.sample_queries(vectors, 200, noise=0.8, seed=1))
    return index


def test_index_kind_is_chosen_by_size() -> None:
    assert ann.choose(49_999).kind == "flat"
    assert ann.choose(50_000).kind == "ivf_sq8"
    assert ann.choose(10, exact_max=5).kind == "ivf_sq8"


def test_exact_index_is_the_oracle(vectors: np.ndarray) -> None:
    flat = ann.DenseIndex.build(vectors, ann.choose(len(vectors)))
    queries = ann.sample_queries(vectors, 20, noise=0.8, seed=2)
    truth = ann.exact_top(vectors, queries, 10)
    for q, t in zip(queries, truth, strict=True):
        assert flat.search(q, 10).tolist() == np.argsort(-(vectors @ q), kind="stable")[:10].tolist()
        assert set(t.tolist()) == set(flat.search(q, 10).tolist())


def test_ivf_recall_against_exact_search(vectors: np.ndarray, ivf: ann.DenseIndex) -> None:
    assert ivf.params.kind == "ivf_sq8"
    assert ivf.params.recall_at_10 is not None and ivf.params.recall_at_10 >= 0.95
    held_out = ann.sample_queries(vectors, 200, noise=0.8, seed=9)  # not the queries it was tuned on
    assert ann.recall_at_k(ivf, held_out, ann.exact_top(vectors, held_out, 10)) >= 0.95


def test_ivf_keeps_to_the_access_mask(vectors: np.ndarray, ivf: ann.DenseIndex) -> None:
    """The mask the service builds from a caller's groups applies inside the approximate
    search: nothing outside it comes back, and what comes back is the exact filtered top 10."""
    rng = np.random.default_rng(4)
    visible = rng.random(len(vectors)) < 0.3
    hits = 0
    queries = ann.sample_queries(vectors, 50, noise=0.8, seed=5)
    for q in queries:
        found = ivf.search(q, 10, visible)
        assert len(found) == 10 and visible[found].all()
        exact = np.flatnonzero(visible)[np.argsort(-(vectors[visible] @ q), kind="stable")[:10]]
        hits += len(set(found.tolist()) & set(exact.tolist()))
    assert hits / (10 * len(queries)) >= 0.9


def test_ivf_round_trips_through_a_file(tmp_path: Path, vectors: np.ndarray, ivf: ann.DenseIndex) -> None:
    ivf.save(tmp_path / "dense.faiss")
    loaded = ann.DenseIndex.load(
        tmp_path / "dense.faiss", vectors, ann.DenseParams.from_json(ivf.params.to_json())
    )
    q = ann.sample_queries(vectors, 1, noise=0.8, seed=6)[0]
    assert loaded.search(q, 10).tolist() == ivf.search(q, 10).tolist()


def test_bm25_from_token_ids_matches_bm25s() -> None:
    corpus = generate(Shape(300, passages_per_topic=60, vocabulary=500, seed=1))
    ours = bm25_from_ids(corpus.token_indptr, corpus.token_ids, corpus.vocabulary)
    theirs = bm25s.BM25()
    theirs.index([corpus.text(r).split() for r in range(corpus.passages)], show_progress=False)
    for query in (corpus.text(5).split()[:3], corpus.text(200).split()[-2:]):
        expected = theirs.get_scores(query)
        assert np.allclose(ours.get_scores(query), expected, rtol=1e-4, atol=1e-5)
        assert expected.max() > 0


def test_bulk_index_builds_and_searches(tmp_path: Path) -> None:
    """A small large-index end to end: the manifest states the index chosen and its recall, and
    a passage's own vector and words find it first, with its text, title and heading."""
    from eval.large import build
    from service.qa.bulk import BulkSearch

    manifest = build(3000, tmp_path / "bulk", exact_max=1000)
    assert manifest["dense"]["kind"] == "ivf_sq8" and manifest["dense"]["recall_at_10"] >= 0.95
    assert manifest["counts"]["passages"] == 3000
    corpus = generate(Shape(3000))
    search = BulkSearch(tmp_path / "bulk")
    for row in (0, 1234, 2999):
        hit = search.search(np.asarray(search.vectors[row]), corpus.text(row).split()[:6], 5)[0]
        assert hit.row == row and hit.excerpt == corpus.text(row)
        assert hit.title == corpus.titles[corpus.doc_of[row]]
        assert hit.section == corpus.headings[corpus.heading_of[row]]
