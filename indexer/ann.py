"""Dense passage search sized to the index: exact inner product (FAISS IndexFlatIP) below
`EXACT_MAX` passages, an inverted file over 8-bit scalar-quantised vectors above it (IVF-SQ8:
k-means cells, a query scans the `nprobe` nearest cells), whose candidates are re-scored exactly
against the float vectors (read with pread, so only the rows a query needs are read). The build
picks the smallest nprobe whose recall@10 against exact search reaches `TARGET_RECALL` on sample
queries and records it, with the measured recall, in the manifest (`DenseParams.to_json`).

Why these choices: an exact search over 50k x 384 floats costs a few ms on one core and is right
by construction; past that the cost grows linearly (~60 ms at 1M). The 8-bit codes take a quarter
of the float vectors' memory (1M passages: ~0.4 GB), are read memory-mapped (worker processes
share one copy), and the exact re-scoring of the top candidates makes up for the quantisation.
HNSW (M=32, efConstruction=40, 8-bit codes) was tried first: on the synthetic 1M corpus, whose
passages of one subtopic sit on a plateau of near-equal similarity, it reached recall@10 0.82 at
efSearch 512 after an 8-minute build, where IVF-SQ8 reaches 0.98 at nprobe 16 (`eval/large.py`)."""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np

EXACT_MAX = 50_000  # passages searched exactly; above, IVF-SQ8
TARGET_RECALL = 0.97  # the build raises efSearch until recall@10 on sample queries reaches this
NPROBE_STEPS = (4, 8, 16, 24, 32, 48, 64, 96, 128, 256)
RESCORE = 64  # approximate candidates re-scored exactly per query (at least k)
TRAIN_PER_CELL = 64  # k-means training points per cell


@dataclass(frozen=True)
class DenseParams:
    """How the dense index was built; stored in the manifest so a reader rebuilds nothing."""

    kind: str  # "flat" (exact) or "ivf_sq8"
    nlist: int = 0  # k-means cells of an IVF index
    nprobe: int = 16  # cells a query scans
    rescore: int = RESCORE
    recall_at_10: float | None = None  # against exact search, measured by the build
    build_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> DenseParams:
        return cls(**{k: obj[k] for k in cls.__dataclass_fields__ if k in obj})


def choose(n: int, exact_max: int = EXACT_MAX) -> DenseParams:
    """Exact search below `exact_max` passages, IVF-SQ8 above, with ~4 sqrt(n) cells (a power of
    two: 1M passages -> 4096 cells of ~250)."""
    if n < exact_max:
        return DenseParams("flat")
    return DenseParams("ivf_sq8", nlist=int(2 ** round(np.log2(4 * np.sqrt(n)))))


class DenseIndex:
    """A dense index over row-aligned, L2-normalised float32 vectors (`vectors` stays the
    reference: approximate candidates are re-scored against it)."""

    def __init__(self, index: faiss.Index, vectors: np.ndarray, params: DenseParams) -> None:
        self.index = index
        self.vectors = vectors
        self.params = params
        self.rows = row_reader(vectors)

    @classmethod
    def build(cls, vectors: np.ndarray, params: DenseParams, threads: int | None = None) -> DenseIndex:
        started = time.perf_counter()
        if threads:
            faiss.omp_set_num_threads(threads)
        dim = vectors.shape[1]
        index: faiss.Index
        if params.kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif params.kind == "ivf_sq8":
            qt = faiss.ScalarQuantizer.QT_8bit
            index = faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatIP(dim), dim, params.nlist, qt, faiss.METRIC_INNER_PRODUCT
            )
            index.cp.max_points_per_centroid = TRAIN_PER_CELL
            rng = np.random.default_rng(0)
            size = min(len(vectors), params.nlist * TRAIN_PER_CELL)
            sample = np.asarray(vectors[np.sort(rng.choice(len(vectors), size, replace=False))], np.float32)
            index.train(sample)
        else:
            raise ValueError(f"unknown dense index kind {params.kind!r}")
        for start in range(0, len(vectors), 100_000):  # in slices: a memory-mapped matrix stays mapped
            index.add(np.ascontiguousarray(vectors[start : start + 100_000], dtype=np.float32))
        built = replace(params, build_seconds=round(time.perf_counter() - started, 1))
        return cls(index, vectors, built)

    @classmethod
    def load(cls, path: Path, vectors: np.ndarray, params: DenseParams) -> DenseIndex:
        """The saved index, its inverted lists memory-mapped (processes share one copy)."""
        index: faiss.Index
        if params.kind == "flat":
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        else:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        if index.ntotal != len(vectors):
            raise ValueError(f"{path} holds {index.ntotal} vectors, the index {len(vectors)}")
        return cls(index, vectors, params)

    def save(self, path: Path) -> None:
        """Only an IVF index is saved: an exact one is the vector matrix itself."""
        if self.params.kind != "flat":
            faiss.write_index(self.index, str(path))

    def search(self, vector: np.ndarray, k: int, visible: np.ndarray | None = None) -> np.ndarray:
        """Rows of the `k` passages most similar to `vector`, best first; with `visible` (a mask
        over the rows), among those only: the filter applies inside the search, not after it."""
        k = min(k, len(self.vectors))
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        selector = None
        if visible is not None:
            # faiss's stubs give the C++ signatures; its Python wrapper takes a packed bitmap array.
            selector = faiss.IDSelectorBitmap(np.packbits(visible, bitorder="little"))  # type: ignore[call-arg, arg-type]
        query = np.ascontiguousarray(vector[None, :], dtype=np.float32)
        if self.params.kind == "flat":
            params = None if selector is None else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            _, found = self.index.search(query, k, params=params)
            return found[0][found[0] >= 0]
        wide = max(k, self.params.rescore)
        ivf = faiss.SearchParametersIVF(nprobe=self.params.nprobe)  # type: ignore[call-arg]
        if selector is not None:
            ivf.sel = selector
        _, found = self.index.search(query, wide, params=ivf)
        rows = np.sort(found[0][found[0] >= 0])  # sorted: the memory map is read in file order
        exact = self.rows(rows) @ vector
        return rows[np.argsort(-exact, kind="stable")[:k]]

    def tune(self, queries: np.ndarray, target: float = TARGET_RECALL, k: int = 10) -> DenseParams:
        """The smallest nprobe whose recall@k against exact search reaches `target` (or the
        largest tried), set on this index and returned with the recall measured."""
        truth = exact_top(self.vectors, queries, k)
        recall = 1.0
        steps = [p for p in NPROBE_STEPS if p <= self.params.nlist] or [self.params.nprobe]
        for nprobe in (self.params.nprobe,) if self.params.kind == "flat" else steps:
            self.params = replace(self.params, nprobe=nprobe)
            recall = recall_at_k(self, queries, truth, k)
            if recall >= target:
                break
        self.params = replace(self.params, recall_at_10=round(recall, 4))
        return self.params


class RowReader:
    """Rows of a memory-mapped `.npy` matrix read with pread, not through the map: a mapped
    read pulls its neighbours in as well (fault-around maps ~64 KB per touch), so re-scoring a
    thousand queries' candidates would map most of a 1.5 GB matrix into the process."""

    def __init__(self, matrix: np.memmap) -> None:
        self._fd = os.open(str(matrix.filename), os.O_RDONLY)
        self._offset = int(matrix.offset)
        self._dim = int(matrix.shape[1])
        self._size = self._dim * 4

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        data = b"".join(os.pread(self._fd, self._size, self._offset + int(r) * self._size) for r in rows)
        return np.frombuffer(data, dtype=np.float32).reshape(len(rows), self._dim)

    def __del__(self) -> None:
        os.close(self._fd)


def row_reader(vectors: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Rows of `vectors` by index: pread for a float32 memory map, indexing otherwise."""
    if isinstance(vectors, np.memmap) and vectors.dtype == np.float32 and vectors.filename:
        return RowReader(vectors)
    return lambda rows: np.asarray(vectors[rows], dtype=np.float32)


def random_access(array: np.ndarray) -> np.ndarray:
    """Tell the kernel a memory-mapped matrix is read a row here and there (MADV_RANDOM): without
    it every row read pulls in ~128 KB of read-ahead, and a thousand queries' re-scoring maps most
    of a 1.5 GB matrix into the process."""
    mapped = getattr(array, "_mmap", None)
    if isinstance(mapped, mmap.mmap) and hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)
    return array


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The oracle: each query's top-k rows by exact inner product, over the matrix in slices."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), 200_000):
        block = np.asarray(vectors[start : start + 200_000], dtype=np.float32)
        scores = queries @ block.T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        best_rows = np.concatenate([best_rows, top + start], axis=1)
        keep = np.argsort(-best_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(best_scores, keep, 1)
        best_rows = np.take_along_axis(best_rows, keep, 1)
    return best_rows


def recall_at_k(index: DenseIndex, queries: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-k rows the index returns in its top k, over the queries."""
    hits = sum(
        len(set(index.search(q, k).tolist()) & set(t[:k].tolist()))
        for q, t in zip(queries, truth, strict=True)
    )
    return hits / (len(queries) * k)


def sample_queries(vectors: np.ndarray, n: int, noise: float, seed: int = 0) -> np.ndarray:
    """Queries near the data, as questions are near their passages: stored vectors moved by
    Gaussian noise of relative size `noise`, normalised."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(vectors), size=min(n, len(vectors)), replace=False))
    base = np.asarray(vectors[rows], dtype=np.float32)
    moved = base + noise * rng.standard_normal(base.shape).astype(np.float32) / np.sqrt(base.shape[1])
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)
