"""The on-disk index: vectors as `.npy` matrices (memory-mapped at load), the BM25 index as bm25s
saves it, the term analysis and everything else as JSON (never pickle), and a manifest that says
what the index was built from and with. Writing goes to a temporary sibling folder that is renamed
into place, so a crash never leaves a half-written index where the service loads it; loading
checks every file against the manifest before anything is used."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from indexer.analysis import TermAnalyzer
from indexer.chunking import Candidate, ChunkingParams
from indexer.embedding import ModelSignature, sha256_file
from indexer.errors import IndexLoadError
from indexer.models import Chunk, Document, Unit, UnitKind

# 5: vectors as .npy instead of FAISS files, BM25 and the term analysis saved with the index.
FORMAT_VERSION = 5
MANIFEST = "manifest.json"
VECTOR_FILES = ("passages.npy", "contexts.npy", "candidates.npy", "clauses.npy")
JSON_FILES = ("documents.json", "chunks.json", "candidates.json", "text_hashes.json", "analysis.json")
BM25_DIR = "bm25"


@dataclass(frozen=True)
class IndexData:
    """Everything an index holds, in memory. Vectors are row-aligned with chunks/candidates."""

    documents: list[Document]
    chunks: list[Chunk]
    candidates: list[Candidate]
    passage_vectors: np.ndarray
    context_vectors: np.ndarray
    candidate_vectors: np.ndarray
    analyzer: TermAnalyzer
    bm25: bm25s.BM25  # over the passages' terms, row-aligned with `chunks`
    manifest: dict[str, Any] = field(default_factory=dict)
    # Clauses of long single-sentence spans, embedded on their own: a long sentence's vector is
    # diluted, so a span also matches as well as its best clause. `clause_owner` maps each clause
    # vector to its candidate row.
    clause_owner: list[int] = field(default_factory=list)
    clause_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    # sha256 of the text each vector was embedded from, in file order (passages, contexts,
    # candidates, clauses): re-indexing reuses a vector only for the very same text.
    text_hashes: list[str] = field(default_factory=list)

    @property
    def all_vectors(self) -> np.ndarray:
        """Every vector, in the order of `text_hashes`."""
        return np.concatenate(
            [self.passage_vectors, self.context_vectors, self.candidate_vectors, self.clause_vectors]
        )


def corpus_hash(documents: list[Document]) -> str:
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.path):
        digest.update(f"{doc.path}\0{doc.sha256}\0{doc.title}\n".encode())
    return digest.hexdigest()


def make_manifest(
    data: IndexData,
    *,
    model: ModelSignature,
    params: ChunkingParams,
    corpus_path: str,
    kbqa_version: str,
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "kbqa_version": kbqa_version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model.to_json(),
        "corpus": {"path": corpus_path, "sha256": corpus_hash(data.documents)},
        "chunking": {
            "max_words": params.max_words,
            "max_window": params.max_window,
            "max_candidate_words": params.max_candidate_words,
        },
        "counts": {
            "documents": len(data.documents),
            "chunks": len(data.chunks),
            "candidates": len(data.candidates),
        },
    }


def _chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "section": list(chunk.section),
        "start": chunk.start,
        "end": chunk.end,
        "context": chunk.context,
        "kind": chunk.kind,
        "units": [[u.start, u.end, u.kind.value] for u in chunk.units],
        "blocks": list(chunk.blocks),
        "lead_ins": [list(x) for x in chunk.lead_ins],
    }


def _chunk_from_json(obj: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=int(obj["chunk_id"]),
        doc_id=str(obj["doc_id"]),
        section=tuple(obj["section"]),
        start=int(obj["start"]),
        end=int(obj["end"]),
        units=tuple(Unit(int(s), int(e), UnitKind(k)) for s, e, k in obj["units"]),
        blocks=tuple(int(b) for b in obj["blocks"]),
        context=str(obj["context"]),
        kind=str(obj["kind"]),
        lead_ins=tuple((int(b), int(s), int(e)) for b, s, e in obj.get("lead_ins", [])),
    )


def write_index(data: IndexData, manifest: dict[str, Any], out: Path) -> None:
    """Write to `<out>.tmp-*`, then swap it in place of `out` (the old index is removed last)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    try:
        _write_files(data, tmp)
        manifest = {
            **manifest,
            "files": {name: sha256_file(tmp / name) for name in _checked_files(tmp)},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        old = out.with_name(f"{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_files(data: IndexData, folder: Path) -> None:
    documents = [
        {
            "doc_id": d.doc_id,
            "path": d.path,
            "title": d.title,
            "sha256": d.sha256,
            "meta": d.meta,
            "text": d.text,
        }
        for d in data.documents
    ]
    (folder / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
    chunks = [_chunk_to_json(c) for c in data.chunks]
    (folder / "chunks.json").write_text(json.dumps(chunks, ensure_ascii=False), encoding="utf-8")
    candidates = {
        "chunk_id": [c.chunk_id for c in data.candidates],
        "first": [c.first for c in data.candidates],
        "last": [c.last for c in data.candidates],
        "start": [c.start for c in data.candidates],
        "end": [c.end for c in data.candidates],
        "lead_start": [c.lead_start for c in data.candidates],
        "lead_end": [c.lead_end for c in data.candidates],
        "clause_owner": list(data.clause_owner),
    }
    (folder / "candidates.json").write_text(json.dumps(candidates), encoding="utf-8")
    (folder / "text_hashes.json").write_text(json.dumps(data.text_hashes), encoding="utf-8")
    (folder / "analysis.json").write_text(json.dumps(data.analyzer.to_json(), ensure_ascii=False), "utf-8")
    parts = (data.passage_vectors, data.context_vectors, data.candidate_vectors, data.clause_vectors)
    for name, vectors in zip(VECTOR_FILES, parts, strict=True):
        np.save(folder / name, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    data.bm25.save(str(folder / BM25_DIR), show_progress=False)


def _checked_files(folder: Path) -> list[str]:
    """Every file the manifest vouches for, as paths relative to the index folder."""
    bm25_files = sorted(p.relative_to(folder).as_posix() for p in (folder / BM25_DIR).iterdir())
    return [*JSON_FILES, *VECTOR_FILES, *bm25_files]


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexLoadError(f"no index at {folder} (missing {MANIFEST}); build one with `kbqa index`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"{path} is corrupt: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexLoadError(
            f"index at {folder} has format version {found!r}, this kbqa reads {FORMAT_VERSION}; rebuild it"
        )
    return manifest


def read_index(folder: Path) -> IndexData:
    manifest = read_manifest(folder)
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(name in files for name in (*JSON_FILES, *VECTOR_FILES)):
        raise IndexLoadError(
            f"index at {folder} is incomplete: its manifest lists no checksums for its files"
        )
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise IndexLoadError(f"index at {folder} is incomplete: {name} is missing")
        if digest != sha256_file(path):
            raise IndexLoadError(f"index at {folder} is corrupt: {name} does not match its manifest hash")
    try:
        documents, chunks, candidates, clause_owner, text_hashes, analyzer = _read_metadata(folder)
        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), mmap=True, show_progress=False)
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise IndexLoadError(f"index metadata at {folder} is malformed: {exc}") from exc
    vectors = [_read_vectors(folder / name) for name in VECTOR_FILES]
    signature = ModelSignature.from_json(manifest.get("model"))
    if signature is None:
        raise IndexLoadError(f"index at {folder} does not say which model built it; rebuild it")
    expected_rows = (len(chunks), len(chunks), len(candidates), len(clause_owner))
    for name, matrix, rows in zip(VECTOR_FILES, vectors, expected_rows, strict=True):
        if matrix.shape != (rows, signature.dimension):
            raise IndexLoadError(
                f"{name} holds {matrix.shape}, the manifest says ({rows}, {signature.dimension})"
            )
    if len(text_hashes) != (total := sum(len(m) for m in vectors)):
        raise IndexLoadError(f"text_hashes.json holds {len(text_hashes)} hashes for {total} vectors")
    passages, contexts, spans, clauses = vectors
    return IndexData(
        documents,
        chunks,
        candidates,
        passages,
        contexts,
        spans,
        analyzer,
        bm25,
        manifest,
        clause_owner,
        clauses,
        text_hashes,
    )


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_metadata(
    folder: Path,
) -> tuple[list[Document], list[Chunk], list[Candidate], list[int], list[str], TermAnalyzer]:
    documents = [
        Document(d["doc_id"], d["path"], d["title"], d["text"], d["sha256"], dict(d.get("meta", {})))
        for d in _read_json(folder / "documents.json")
    ]
    chunks = [_chunk_from_json(c) for c in _read_json(folder / "chunks.json")]
    cols = _read_json(folder / "candidates.json")
    fields = ("chunk_id", "first", "last", "start", "end", "lead_start", "lead_end")
    candidates = [Candidate(*row) for row in zip(*(cols[f] for f in fields), strict=True)]
    clause_owner = [int(x) for x in cols["clause_owner"]]
    text_hashes = [str(h) for h in _read_json(folder / "text_hashes.json")]
    analyzer = TermAnalyzer.from_json(_read_json(folder / "analysis.json"))
    return documents, chunks, candidates, clause_owner, text_hashes, analyzer


def _read_vectors(path: Path) -> np.ndarray:
    """A matrix memory-mapped read-only: processes serving the same index share one copy."""
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise IndexLoadError(f"{path} is not a readable vector matrix: {exc}") from exc
    if matrix.ndim != 2 or matrix.dtype != np.float32:
        raise IndexLoadError(f"{path} holds {matrix.dtype} of shape {matrix.shape}, not float32 rows")
    return matrix
