"""A passage-search index for a large knowledge base (hundreds of thousands to millions of
passages), built from arrays rather than Python objects: vectors as a `.npy` matrix plus the dense
index `indexer.ann` chooses by size (exact or IVF-SQ8, its parameters and measured recall@10 in the
manifest), BM25 built straight from token-id arrays and saved as bm25s saves it (loaded
memory-mapped), and every per-passage field as a numpy array or a UTF-8 blob with offsets, so a
reader maps files instead of building a million objects.

The regular index (`indexer.store`) keeps chunks, answer candidates and their vectors as objects
for the answer pipeline; this one serves passage search at a size where that would not fit."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import scipy.sparse as sp

from indexer import ann

FORMAT = "kbqa-bulk-1"
MANIFEST = "manifest.json"
ARRAYS = ("doc_of", "heading_of")
STRING_TABLES = ("texts", "titles", "headings")


def bm25_from_ids(
    indptr: np.ndarray, ids: np.ndarray, vocabulary: list[str], k1: float = 1.5, b: float = 0.75
) -> bm25s.BM25:
    """bm25s's Lucene BM25 (its default, the one the regular index uses) computed with sparse
    matrix arithmetic over token ids: no list of token lists, which at 1M passages alone would
    take gigabytes."""
    n, size = len(indptr) - 1, len(vocabulary)
    lengths = np.diff(indptr)
    # Copies: scipy sorts and merges a matrix's index arrays in place.
    tf = sp.csr_matrix(
        (np.ones(len(ids), np.float32), np.array(ids, np.int32), np.array(indptr, np.int64)),
        shape=(n, size),
        dtype=np.float32,
    )
    tf.sum_duplicates()
    doc_freq = np.bincount(tf.indices, minlength=size)
    idf = np.log(1 + (n - doc_freq + 0.5) / (doc_freq + 0.5)).astype(np.float32)
    row_of = np.repeat(np.arange(n), np.diff(tf.indptr))
    norm = k1 * (1 - b + b * lengths[row_of] / max(float(lengths.mean()), 1e-9))
    scores = sp.csr_matrix(
        (idf[tf.indices] * tf.data / (tf.data + norm), tf.indices, tf.indptr), shape=(n, size)
    )
    csc = scores.tocsc()
    bm25 = bm25s.BM25(k1=k1, b=b)
    bm25.scores = {
        "data": csc.data.astype(np.float32),
        "indices": csc.indices.astype(np.int32),
        "indptr": csc.indptr.astype(np.int64),
        "num_docs": n,
    }
    bm25.vocab_dict = {word: i for i, word in enumerate(vocabulary)}
    bm25.nonoccurrence_array = None  # Lucene BM25 has none (set by bm25s's own index())
    return bm25


def pack_strings(strings: list[str] | tuple[str, ...]) -> tuple[bytes, np.ndarray]:
    """Strings as one UTF-8 blob and n+1 byte offsets."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded], dtype=np.int64)]).astype(np.int64)
    return b"".join(encoded), offsets


@dataclass(frozen=True)
class StringTable:
    """Strings read on demand from a memory-mapped blob."""

    blob: np.ndarray  # uint8
    offsets: np.ndarray  # int64, n + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    @classmethod
    def load(cls, folder: Path, name: str) -> StringTable:
        blob_path = folder / f"{name}.bin"
        blob = (
            np.memmap(blob_path, dtype=np.uint8, mode="r")
            if blob_path.stat().st_size
            else np.zeros(0, np.uint8)
        )
        return cls(blob, np.load(folder / f"{name}.offsets.npy", mmap_mode="r"))


@dataclass
class BulkInput:
    """What a large index is built from, row-aligned per passage."""

    vectors: np.ndarray  # n x d float32, unit length (may be memory-mapped)
    token_indptr: np.ndarray  # CSR over passages
    token_ids: np.ndarray
    vocabulary: list[str]
    doc_of: np.ndarray
    heading_of: np.ndarray
    texts: tuple[bytes, np.ndarray]  # pack_strings of the passages' texts
    titles: list[str]
    headings: list[str]
    exact_max: int = ann.EXACT_MAX
    extra: dict[str, Any] = field(default_factory=dict)  # recorded in the manifest as "source"


def _timed(timings: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = round(now - started, 1)
    return now


def build_bulk_index(data: BulkInput, out: Path, recall_queries: int = 500) -> dict[str, Any]:
    """Write the index to `out` (a fresh folder); returns its manifest, with the time of each stage."""
    out.mkdir(parents=True, exist_ok=False)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    np.save(out / "vectors.npy", np.asarray(data.vectors, dtype=np.float32), allow_pickle=False)
    vectors = np.load(out / "vectors.npy", mmap_mode="r")
    started = _timed(timings, "vectors_seconds", started)
    dense = ann.DenseIndex.build(vectors, ann.choose(len(vectors), data.exact_max))
    dense.save(out / "dense.faiss")
    started = _timed(timings, "dense_index_seconds", started)
    queries = ann.sample_queries(vectors, recall_queries, noise=0.8)
    params = dense.tune(queries)
    started = _timed(timings, "recall_seconds", started)
    bm25 = bm25_from_ids(data.token_indptr, data.token_ids, data.vocabulary)
    bm25.save(str(out / "bm25"), show_progress=False)
    del bm25
    started = _timed(timings, "bm25_seconds", started)
    for name in ARRAYS:
        np.save(out / f"{name}.npy", np.asarray(getattr(data, name), dtype=np.int32), allow_pickle=False)
    for name, (blob, offsets) in (
        ("texts", data.texts),
        ("titles", pack_strings(data.titles)),
        ("headings", pack_strings(data.headings)),
    ):
        (out / f"{name}.bin").write_bytes(blob)
        np.save(out / f"{name}.offsets.npy", offsets, allow_pickle=False)
    _timed(timings, "metadata_seconds", started)
    manifest = {
        "format": FORMAT,
        "counts": {
            "passages": len(vectors),
            "documents": len(data.titles),
            "dimension": int(vectors.shape[1]),
        },
        "dense": params.to_json(),
        "bm25": {"method": "lucene", "k1": 1.5, "b": 0.75, "vocabulary": len(data.vocabulary)},
        "timings": timings | {"total_seconds": round(sum(timings.values()), 1)},
        "source": data.extra,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def read_bulk_manifest(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{folder} is not a {FORMAT} index")
    return manifest
