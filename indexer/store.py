"""The on-disk index: vectors as `.npy` matrices (memory-mapped at load), the BM25 index as bm25s
saves it, the term analysis and everything else as JSON (never pickle), and a manifest that says
what the index was built from and with. Each build writes a new version folder and switches one
pointer to it (`indexer.versions`: the layout, the fsyncs and what is cleaned), so a crash never
leaves a half-written index where the service loads it; loading checks every file against the
manifest, and the data's shape and cross-references, before anything is used."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from indexer import code_sha256, versions
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
log = logging.getLogger(__name__)
CHECKED = frozenset((*JSON_FILES, *VECTOR_FILES))
CANDIDATE_FIELDS = ("chunk_id", "first", "last", "start", "end", "lead_start", "lead_end")
_BM25_FILE = re.compile(rf"^{BM25_DIR}/[A-Za-z0-9_.-]+$")


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
        "indexer_sha256": code_sha256(),
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


class IndexWriter:
    """One build's hold on an index folder, from its start to its switch (see `indexer.versions`
    for the layout and why each step is there). Entering takes the build lock and removes what
    crashed builds left (versions the pointer does not name, temporary pointers); `previous` is
    the live version, whose vectors the build reuses; `commit` writes the next version, verifies
    it as a reader would, switches the pointer and removes all but it and the one before."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self._lock = versions.build_lock(self.out)
        self._legacy = False

    def __enter__(self) -> IndexWriter:
        self._lock.__enter__()
        try:
            pointer = self.out / versions.POINTER
            if pointer.exists() and not pointer.is_symlink():
                raise IndexLoadError(f"{pointer} is not the index's pointer (a symlink); move it away")
            versions.remove_unkept(self.out)
            self._legacy = not pointer.is_symlink() and (self.out / MANIFEST).is_file()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(None, None, None)

    def previous(self) -> IndexData | None:
        """The live index, or one in the old flat layout (its vectors are as good), or None."""
        try:
            if self._legacy:
                return _read_version(self.out, "legacy")
            return read_index(self.out)
        except IndexLoadError:
            return None

    def commit(self, data: IndexData, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write, verify and switch to a new version; returns its manifest (with "version")."""
        version, folder = versions.new_version_folder(self.out)
        try:
            manifest = _write_version(data, manifest, folder, version)
            _read_version(folder, version)  # the pointer only ever names what loads
            versions.switch(self.out, version)
        except BaseException:
            with suppress(IndexLoadError):
                if versions.pointed_version(self.out) != version:  # else it is live after all
                    shutil.rmtree(folder, ignore_errors=True)
            raise
        try:  # the new version is live: failing to tidy up must not report the build as failed
            versions.remove_unkept(self.out)
            if self._legacy:
                _remove_flat_layout(self.out)
        except OSError as exc:
            log.warning("index %s is live; removing superseded files failed: %s", version, exc)
        return manifest


def write_index(data: IndexData, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write `data` as the next version of the index at `out` and make it the live one."""
    with IndexWriter(out) as writer:
        return writer.commit(data, manifest)


def _remove_flat_layout(out: Path) -> None:
    """The files an index of the old flat layout kept directly in `out` (and only those), once a
    version has replaced it; the manifest first, so a partial removal is no index, not a bad one."""
    for name in (MANIFEST, *JSON_FILES, *VECTOR_FILES):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / BM25_DIR, ignore_errors=True)
    versions.fsync_dir(out)


def _json_bytes(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _payloads(data: IndexData) -> dict[str, bytes]:
    """The bytes of every file but BM25's (bm25s writes its own) and the manifest."""
    doc_fields = ("doc_id", "path", "title", "sha256", "meta", "text")
    documents = [{f: getattr(d, f) for f in doc_fields} for d in data.documents]
    candidates: dict[str, list[int]] = {f: [getattr(c, f) for c in data.candidates] for f in CANDIDATE_FIELDS}
    candidates["clause_owner"] = list(data.clause_owner)
    out = {
        "documents.json": _json_bytes(documents),
        "chunks.json": _json_bytes([_chunk_to_json(c) for c in data.chunks]),
        "candidates.json": _json_bytes(candidates),
        "text_hashes.json": _json_bytes(data.text_hashes),
        "analysis.json": _json_bytes(data.analyzer.to_json()),
    }
    parts = (data.passage_vectors, data.context_vectors, data.candidate_vectors, data.clause_vectors)
    for name, vectors in zip(VECTOR_FILES, parts, strict=True):
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
        out[name] = buffer.getvalue()
    return out


def _write_version(data: IndexData, manifest: dict[str, Any], folder: Path, version: str) -> dict[str, Any]:
    """Every file of a version, each fsynced, the manifest (with their checksums) last."""
    payloads = _payloads(data)
    for name, payload in payloads.items():
        versions.write_file(folder / name, payload)
    data.bm25.save(str(folder / BM25_DIR), show_progress=False)
    versions.seal_tree(folder / BM25_DIR)
    files = {name: hashlib.sha256(payload).hexdigest() for name, payload in payloads.items()}
    files |= {name: sha256_file(folder / name) for name in _bm25_files(folder)}
    manifest = {**manifest, "version": version, "files": files}
    versions.write_file(folder / MANIFEST, json.dumps(manifest, indent=2).encode("utf-8"))
    return manifest


def _bm25_files(folder: Path) -> list[str]:
    """BM25's files, as paths relative to the version folder."""
    return sorted(p.relative_to(folder).as_posix() for p in (folder / BM25_DIR).iterdir())


def _load_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexLoadError(f"index at {folder} is incomplete: {MANIFEST} is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise IndexLoadError(f"{path} is corrupt: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexLoadError(
            f"index at {folder} has format version {found!r}, this kbqa reads {FORMAT_VERSION}; rebuild it"
        )
    return manifest


def read_manifest(out: Path) -> dict[str, Any]:
    """The live version's manifest, with its id under "version" (its build time is "created")."""
    version, folder = versions.live_folder(out)
    return {**_load_manifest(folder), "version": version}


def read_index(out: Path) -> IndexData:
    """The live version of the index at `out`, checked file by file against its manifest. Any
    index that is missing, partial or of the wrong shape is an IndexLoadError with the reason."""
    version, folder = versions.live_folder(out)
    return _read_version(folder, version)


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(name in files for name in (*JSON_FILES, *VECTOR_FILES)):
        raise IndexLoadError(
            f"index at {folder} is incomplete: its manifest lists no checksums for its files"
        )
    for name, digest in files.items():
        if not isinstance(name, str) or not (name in CHECKED or _BM25_FILE.match(name)):
            raise IndexLoadError(f"index at {folder} is malformed: its manifest lists {name!r}")
        path = folder / name
        try:
            actual = sha256_file(path)
        except FileNotFoundError:
            raise IndexLoadError(f"index at {folder} is incomplete: {name} is missing") from None
        except OSError as exc:
            raise IndexLoadError(f"index at {folder} is unreadable: {name}: {exc}") from exc
        if digest != actual:
            raise IndexLoadError(f"index at {folder} is corrupt: {name} does not match its manifest hash")


def _read_version(folder: Path, version: str) -> IndexData:
    manifest = {**_load_manifest(folder), "version": version}
    _check_files(folder, manifest)
    signature = ModelSignature.from_json(manifest.get("model"))
    if signature is None:
        raise IndexLoadError(f"index at {folder} does not say which model built it; rebuild it")
    try:
        documents, chunks, candidates, clause_owner, text_hashes, analyzer = _read_metadata(folder)
        _check_references(folder, documents, chunks, candidates, clause_owner)
        bm25 = bm25s.BM25.load(str(folder / BM25_DIR), mmap=True, show_progress=False)
    except (LookupError, TypeError, ValueError, AttributeError, OSError, EOFError) as exc:
        raise IndexLoadError(f"index metadata at {folder} is malformed: {exc}") from exc
    vectors = [_read_vectors(folder / name) for name in VECTOR_FILES]
    expected_rows = (len(chunks), len(chunks), len(candidates), len(clause_owner))
    for name, matrix, rows in zip(VECTOR_FILES, vectors, expected_rows, strict=True):
        if matrix.shape != (rows, signature.dimension):
            raise IndexLoadError(
                f"{name} holds {matrix.shape}, the manifest says ({rows}, {signature.dimension})"
            )
    if len(text_hashes) != (total := sum(len(m) for m in vectors)):
        raise IndexLoadError(f"text_hashes.json holds {len(text_hashes)} hashes for {total} vectors")
    passages, contexts, spans, clauses = vectors
    parts = (documents, chunks, candidates, passages, contexts, spans, analyzer, bm25, manifest)
    return IndexData(*parts, clause_owner, clauses, text_hashes)


def _check_references(
    folder: Path,
    documents: list[Document],
    chunks: list[Chunk],
    candidates: list[Candidate],
    clause_owner: list[int],
) -> None:
    """The cross-references the query path indexes by, so a hand-made or mismatched index is
    refused at load instead of failing on some question later."""
    texts = {d.doc_id: len(d.text) for d in documents}
    problem = ""
    if len(texts) != len(documents):
        problem = "two documents share an id"
    elif any(
        c.chunk_id != row or not 0 <= c.start <= c.end <= texts.get(c.doc_id, -1)
        for row, c in enumerate(chunks)
    ):
        problem = "a passage is out of order, of an unknown document or outside its text"
    elif any(
        not 0 <= c.chunk_id < len(chunks) or not 0 <= c.first <= c.last < len(chunks[c.chunk_id].units)
        for c in candidates
    ):
        problem = "an answer span refers to no passage or no sentence of it"
    elif any(not 0 <= owner < len(candidates) for owner in clause_owner):
        problem = "a clause refers to no answer span"
    if problem:
        raise IndexLoadError(f"index at {folder} is inconsistent: {problem}")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _document_from_json(obj: dict[str, Any]) -> Document:
    doc_id, path, title, text, sha256 = (obj[f] for f in ("doc_id", "path", "title", "text", "sha256"))
    if not all(isinstance(x, str) for x in (doc_id, path, title, text, sha256)):
        raise TypeError(f"document {doc_id!r} has a field that is not a string")
    return Document(doc_id, path, title, text, sha256, dict(obj.get("meta", {})))


def _read_metadata(
    folder: Path,
) -> tuple[list[Document], list[Chunk], list[Candidate], list[int], list[str], TermAnalyzer]:
    documents = [_document_from_json(d) for d in _read_json(folder / "documents.json")]
    chunks = [_chunk_from_json(c) for c in _read_json(folder / "chunks.json")]
    cols = _read_json(folder / "candidates.json")
    rows = zip(*(cols[f] for f in CANDIDATE_FIELDS), strict=True)
    candidates = [Candidate(*(int(x) for x in row)) for row in rows]
    clause_owner = [int(x) for x in cols["clause_owner"]]
    text_hashes = [str(h) for h in _read_json(folder / "text_hashes.json")]
    analyzer = TermAnalyzer.from_json(_read_json(folder / "analysis.json"))
    return documents, chunks, candidates, clause_owner, text_hashes, analyzer


def _read_vectors(path: Path) -> np.ndarray:
    """A matrix memory-mapped read-only: processes serving the same index share one copy."""
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise IndexLoadError(f"{path} is not a readable vector matrix: {exc}") from exc
    if matrix.ndim != 2 or matrix.dtype != np.float32:
        raise IndexLoadError(f"{path} holds {matrix.dtype} of shape {matrix.shape}, not float32 rows")
    return matrix
