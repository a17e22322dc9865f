"""Milvus as the passage store: one collection holds each passage's vector and its analysed terms,
and Milvus runs both searches hybrid retrieval fuses — dense inner product, and BM25 by its
built-in function over the terms field — with the caller's access groups as a filter expression.
Passages are upserted and deleted by document, so an index changes without a rebuild, and the
service replicas in front of it keep no search state of their own.

`KBQA_STORE=milvus:///path/file.db` opens an embedded Milvus Lite file; `http(s)://host:19530` a
Milvus standalone or cluster. The terms stored are the index's own analysis (Snowball stems and
acronym names, `TermAnalyzer.doc_terms`), split by Milvus's standard tokenizer, so Milvus's BM25
reads a passage as bm25s does in process (same k1 and b)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.errors import IndexLoadError
from indexer.store import IndexData
from indexer.texts import passage_text
from service.qa.access import Scope

COLLECTION = "kbqa_passages"
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults, which the in-process index uses
MAX_TEXT = 65_535  # Milvus's VARCHAR limit, in bytes
NO_TERMS = "\u2205"  # a passage of stopwords only: a term no question has


@dataclass(frozen=True)
class PassageRecord:
    """One passage as the store holds it; `pk` names it across index versions."""

    pk: str
    doc_id: str
    groups: list[str]
    terms: str
    vector: list[float]


def passage_key(doc_id: str, start: int, end: int) -> str:
    return f"{doc_id}#{start}-{end}"


def index_records(data: IndexData, doc_ids: set[str] | None = None) -> list[PassageRecord]:
    """The records of the passages of `data` (of the documents `doc_ids` only, when given)."""
    docs = {d.doc_id: d for d in data.documents}
    out = []
    for chunk in data.chunks:
        if doc_ids is not None and chunk.doc_id not in doc_ids:
            continue
        doc = docs[chunk.doc_id]
        terms = " ".join(data.analyzer.doc_terms(passage_text(chunk, doc))) or NO_TERMS
        vector = np.asarray(data.passage_vectors[chunk.chunk_id], dtype=np.float32).tolist()
        key = passage_key(doc.doc_id, chunk.start, chunk.end)
        out.append(PassageRecord(key, doc.doc_id, sorted(doc.groups), terms[:MAX_TEXT], vector))
    return out


def client_uri(store: str) -> str:
    """`milvus:///path/file.db` -> the Lite file's path; an http(s) URL as it is."""
    return store.removeprefix("milvus://") if store.startswith("milvus://") else store


def group_filter(scope: Scope) -> str:
    """The filter expression of a scope: public passages and those of the caller's groups."""
    if scope.groups is None:
        return ""
    public = "array_length(groups) == 0"
    if not scope.groups:
        return public
    return f"{public} or array_contains_any(groups, {json.dumps(sorted(scope.groups))})"


class MilvusStore:
    """A collection of passages in Milvus (Lite, standalone or cluster)."""

    def __init__(self, uri: str, dimension: int, collection: str = COLLECTION, token: str = "") -> None:
        from pymilvus import MilvusClient, MilvusException  # heavy: imported only when Milvus is the store

        self.collection = collection
        self.remote = not uri.startswith("milvus://")
        try:
            self.client = MilvusClient(client_uri(uri), token=token)
            if not self.client.has_collection(collection):
                self._create(dimension)
        except MilvusException as exc:
            raise IndexLoadError(f"the Milvus store at {uri} is not usable: {exc}") from exc

    def _create(self, dimension: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=2048)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        schema.add_field(
            "groups", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=256, max_length=256
        )
        analyzer = {"tokenizer": "standard"}
        schema.add_field(
            "terms", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True, analyzer_params=analyzer
        )
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        bm25 = Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
        schema.add_function(bm25)
        index = self.client.prepare_index_params()
        # Lite has FLAT; a server gets HNSW, the graph `indexer.ann` uses at scale.
        dense: dict[str, Any] = {"index_type": "FLAT", "metric_type": "IP"}
        if self.remote:
            dense = {"index_type": "HNSW", "metric_type": "IP", "params": {"M": 32, "efConstruction": 200}}
        index.add_index("dense", **dense)
        bm25_params = {"bm25_k1": BM25_K1, "bm25_b": BM25_B}
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=bm25_params)
        self.client.create_collection(self.collection, schema=schema, index_params=index)

    def upsert(self, records: Iterable[PassageRecord]) -> None:
        rows = [
            {"pk": r.pk, "doc_id": r.doc_id, "groups": r.groups, "terms": r.terms, "dense": r.vector}
            for r in records
        ]
        for start in range(0, len(rows), 1000):
            self.client.upsert(self.collection, rows[start : start + 1000])

    def upsert_document(self, records: list[PassageRecord]) -> None:
        """Replace one document's passages: those it no longer has are deleted."""
        doc_ids = {r.doc_id for r in records}
        if len(doc_ids) != 1:
            raise ValueError("upsert_document takes the passages of exactly one document")
        keep = json.dumps([r.pk for r in records])
        self.client.delete(
            self.collection, filter=f"doc_id == {json.dumps(doc_ids.pop())} and pk not in {keep}"
        )
        self.upsert(records)

    def delete_document(self, doc_id: str) -> None:
        self.client.delete(self.collection, filter=f"doc_id == {json.dumps(doc_id)}")

    def sync(self, data: IndexData) -> None:
        """Make the collection hold exactly the passages of `data` (upserts are idempotent)."""
        records = index_records(data)
        self.upsert(records)
        keep = json.dumps([r.pk for r in records])
        self.client.delete(self.collection, filter=f"pk not in {keep}")

    def count(self) -> int:
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def dense(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[str, float]]:
        params = {"metric_type": "IP", "params": {"ef": max(64, k)}} if self.remote else {"metric_type": "IP"}
        hits = self.client.search(
            self.collection,
            data=[np.asarray(vector, dtype=np.float32).tolist()],
            anns_field="dense",
            limit=k,
            filter=group_filter(scope),
            output_fields=["pk"],
            search_params=params,
        )
        return [(str(h["entity"]["pk"]), float(h["distance"])) for h in hits[0]]

    def bm25(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[str, float]]:
        if not terms:
            return []
        hits = self.client.search(
            self.collection,
            data=[" ".join(terms)],
            anns_field="sparse",
            limit=k,
            filter=group_filter(scope),
            output_fields=["pk"],
            search_params={"metric_type": "BM25"},
        )
        # Milvus Lite reports BM25 scores negated (as distances); a server as scores.
        return [(str(h["entity"]["pk"]), abs(float(h["distance"]))) for h in hits[0]]


class MilvusSearch:
    """`PassageSearch` over a Milvus collection, for the passages of the loaded index: the
    collection's keys map to the index's rows; a passage the index does not have is skipped."""

    def __init__(self, store: MilvusStore, data: IndexData, bm25_depth: int = 200) -> None:
        self.store = store
        self.n = len(data.chunks)
        self.bm25_depth = bm25_depth
        self._row = {passage_key(c.doc_id, c.start, c.end): c.chunk_id for c in data.chunks}

    def dense_rows(self, vector: np.ndarray, k: int, scope: Scope) -> np.ndarray:
        rows = [self._row[pk] for pk, _ in self.store.dense(vector, k, scope) if pk in self._row]
        return np.asarray(rows, dtype=np.int64)

    def bm25(self, terms: Sequence[str], scope: Scope) -> np.ndarray:
        """The top `bm25_depth` BM25 scores in place, 0 elsewhere: the retriever fuses passages
        from both searches' tops, and a passage below the BM25 top few hundred scores ~0 after
        max-normalisation anyway."""
        scores = np.zeros(self.n, dtype=np.float32)
        for pk, score in self.store.bm25(terms, max(self.bm25_depth, 1), scope):
            if pk in self._row:
                scores[self._row[pk]] = score
        return scores
