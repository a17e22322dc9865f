"""Milvus (embedded Milvus Lite) as the passage store: documents upserted and deleted by id take
effect at once, without rebuilding anything; access groups filter inside both searches, also
over HTTP; and on the bundled corpus with the real model it finds what FAISS and bm25s find."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from indexer.build import build_index
from indexer.store import IndexData, read_index
from service.api.app import create_app
from service.config import Settings
from service.qa.access import ALL, Scope
from service.qa.milvus import MilvusSearch, MilvusStore, group_filter, index_records
from service.qa.pipeline import QAPipeline
from service.qa.retrieval import FaissSearch
from tests.fakes import HashingEmbedder

DOCS = {
    "kitchen.txt": (
        "Kitchen\n\nCleaning\nThe kitchen is cleaned every evening by the facilities team.\n",
        None,
    ),
    "salaries.txt": ("Salaries\n\nBands\nSalary bands are reviewed every April by the HR team.\n", ["hr"]),
    "parking.txt": (
        "Parking\n\nPermits\nParking permits for the basement garage are issued by reception.\n",
        None,
    ),
}


def _index(root: Path, names: list[str]) -> IndexData:
    corpus = root / ("corpus-" + "-".join(n.split(".")[0] for n in names))
    corpus.mkdir()
    catalog = {}
    for name in names:
        text, groups = DOCS[name]
        (corpus / name).write_text(text, encoding="utf-8")
        catalog[name] = {"title": text.split("\n")[0], **({"groups": groups} if groups else {})}
    (corpus / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    build_index(corpus, root / f"{corpus.name}-index", HashingEmbedder())
    return read_index(root / f"{corpus.name}-index")


def _docs(hits: list[tuple[str, float]]) -> set[str]:
    return {pk.split("#")[0] for pk, _ in hits}


def test_group_filter_expressions() -> None:
    assert group_filter(ALL) == ""
    assert group_filter(Scope(groups=frozenset())) == "array_length(groups) == 0"
    assert group_filter(Scope(groups=frozenset({"hr", 'a"b'}))) == (
        'array_length(groups) == 0 or array_contains_any(groups, ["a\\"b", "hr"])'
    )


def test_documents_are_upserted_and_deleted_without_a_rebuild(tmp_path: Path) -> None:
    two = _index(tmp_path, ["kitchen.txt", "salaries.txt"])
    three = _index(tmp_path, ["kitchen.txt", "salaries.txt", "parking.txt"])
    store = MilvusStore(f"milvus://{tmp_path}/kb.db", two.passage_vectors.shape[1])
    store.sync(two)
    before = store.count()
    assert _docs(store.bm25(["permit"], 10, ALL)) == set()

    parking = index_records(three, {"parking"})
    store.upsert_document(parking)
    assert store.count() == before + len(parking)
    assert _docs(store.bm25(["permit"], 10, ALL)) == {"parking"}
    assert store.dense(np.asarray(parking[0].vector), 1, ALL)[0][0] == parking[0].pk

    store.delete_document("parking")
    assert store.count() == before
    assert _docs(store.bm25(["permit"], 10, ALL)) == set()
    assert "parking" not in _docs(store.dense(np.asarray(parking[0].vector), 10, ALL))


def test_upserting_a_changed_document_replaces_its_passages(tmp_path: Path) -> None:
    data = _index(tmp_path, ["kitchen.txt", "parking.txt"])
    store = MilvusStore(f"milvus://{tmp_path}/kb.db", data.passage_vectors.shape[1])
    store.sync(data)
    records = index_records(data, {"parking"})
    moved = [type(r)(r.pk + "x", r.doc_id, r.groups, "bicycl shed", r.vector) for r in records]
    store.upsert_document(moved)  # the same document, now another passage
    assert _docs(store.bm25(["bicycl"], 10, ALL)) == {"parking"}
    assert _docs(store.bm25(["garag"], 10, ALL)) == set()


def test_access_groups_filter_both_searches(tmp_path: Path) -> None:
    data = _index(tmp_path, ["kitchen.txt", "salaries.txt"])
    store = MilvusStore(f"milvus://{tmp_path}/kb.db", data.passage_vectors.shape[1])
    store.sync(data)
    salary = index_records(data, {"salaries"})[0]
    for groups, seen in ((frozenset(), False), (frozenset({"finance"}), False), (frozenset({"hr"}), True)):
        scope = Scope(groups=groups)
        assert ("salaries" in _docs(store.bm25(["salari"], 10, scope))) is seen
        assert ("salaries" in _docs(store.dense(np.asarray(salary.vector), 10, scope))) is seen


def test_milvus_service_keeps_restricted_documents_out(tmp_path: Path) -> None:
    _index(tmp_path, ["kitchen.txt", "salaries.txt"])
    index = tmp_path / "corpus-kitchen-salaries-index"
    settings = Settings(index_dir=index, store=f"milvus://{tmp_path}/svc.db", trust_groups_header=True)
    with TestClient(create_app(settings, embedder_factory=lambda _: HashingEmbedder())) as client:
        public = client.get("/search", params={"q": "salary bands", "k": 10}).json()["results"]
        assert public and all(hit["doc_id"] != "salaries" for hit in public)
        headers = {"X-KBQA-Groups": "hr"}
        hr = client.get("/search", params={"q": "salary bands", "k": 10}, headers=headers).json()["results"]
        assert hr[0]["doc_id"] == "salaries"


@pytest.mark.parametrize(
    "question", ["who outranks the COO?", "CSO vs CRO performance metrics", "budget planning"]
)
def test_milvus_finds_what_faiss_finds(
    tmp_path_factory: pytest.TempPathFactory, kb: QAPipeline, question: str
) -> None:
    """Real model, bundled corpus: the same dense top 10 (both exact) and the same BM25 ranking
    (the same terms, k1 and b; Milvus's own IDF bookkeeping may differ in the last digits)."""
    data = kb.kb.data
    db = tmp_path_factory.getbasetemp() / "bundled-milvus.db"
    store = MilvusStore(f"milvus://{db}", data.passage_vectors.shape[1])
    if store.count() != len(data.chunks):
        store.sync(data)
    milvus, faiss = MilvusSearch(store, data), FaissSearch(data, kb.lexical)
    query = kb.kb.analyzer.analyze(question)
    vector = kb.embedder.embed([query.repaired])[0]
    assert milvus.dense_rows(vector, 10, ALL).tolist() == faiss.dense_rows(vector, 10, ALL).tolist()
    ours, theirs = faiss.bm25(query.terms, ALL), milvus.bm25(query.terms, ALL)
    assert np.argsort(-theirs, kind="stable")[:5].tolist() == np.argsort(-ours, kind="stable")[:5].tolist()
    assert np.allclose(theirs / theirs.max(), ours / ours.max(), atol=0.05)
