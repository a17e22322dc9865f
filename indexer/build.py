"""The indexing pipeline: corpus folder -> cleaned, structured, chunked documents -> vectors ->
the next version of an index folder. `prepare` is pure (no model); `build_index` adds the
embedder and the disk."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from indexer import __version__
from indexer.analysis import TermAnalyzer
from indexer.chunking import Candidate, ChunkingParams, candidates_for, chunk_document, clauses
from indexer.cleaning import Line, clean_lines
from indexer.corpus import CorpusOptions, Skipped, read_corpus
from indexer.embedding import Embedder, ModelSignature
from indexer.errors import CorpusError
from indexer.models import Chunk, Document, UnitKind
from indexer.store import IndexData, IndexWriter, make_manifest
from indexer.structure import parse_blocks, title_from_lines
from indexer.texts import candidate_text, context_text, passage_text


@dataclass(frozen=True)
class Prepared:
    documents: list[Document]
    chunks: list[Chunk]
    candidates: list[Candidate]
    skipped: list[Skipped] = field(default_factory=list)
    removed: dict[str, dict[str, int]] = field(default_factory=dict)  # doc_id -> reason -> characters dropped
    excluded: int = 0  # files left out on purpose (hidden, include/exclude globs)


def removed_chars(lines: list[Line]) -> dict[str, int]:
    """Characters of the lines the cleaner dropped, by reason (line breaks inside a joined line aside)."""
    out: dict[str, int] = {}
    for line in lines:
        if line.noise is not None:
            out[line.noise] = out.get(line.noise, 0) + len(line.text.replace("\r", "").replace("\n", ""))
    return out


def prepare_document(
    document: Document, params: ChunkingParams, first_id: int
) -> tuple[Document, list[Chunk], dict[str, int]]:
    """The document with its title resolved, its passages, and the characters cleaning removed."""
    lines = clean_lines(document.text)
    title = document.title or title_from_lines(lines) or Path(document.path).stem
    blocks = parse_blocks(document.text, lines, title)
    chunks = chunk_document(document.doc_id, document.text, blocks, params, first_id)
    resolved = Document(document.doc_id, document.path, title, document.text, document.sha256, document.meta)
    return resolved, chunks, removed_chars(lines)


def prepare(corpus: Path, params: ChunkingParams, options: CorpusOptions | None = None) -> Prepared:
    documents: list[Document] = []
    chunks: list[Chunk] = []
    removed: dict[str, dict[str, int]] = {}
    read = read_corpus(corpus, options)
    skipped = read.skipped
    for document in read.documents:
        resolved, doc_chunks, removed[document.doc_id] = prepare_document(document, params, len(chunks))
        documents.append(resolved)
        chunks.extend(doc_chunks)
    if not chunks:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped)
        raise CorpusError(
            f"no indexable text in {corpus}: every file is empty or only page chrome"
            + (f" (skipped {reasons})" if reasons else "")
        )
    texts = {d.doc_id: d.text for d in documents}
    candidates = [c for chunk in chunks for c in candidates_for(chunk, texts[chunk.doc_id], params)]
    return Prepared(documents, chunks, candidates, skipped, removed, read.excluded)


def embedding_texts(prepared: Prepared, clause_rows: list[tuple[int, int, int]]) -> list[str]:
    """Every text the index embeds, in row order: passages, contexts, answer spans, clauses."""
    docs = {d.doc_id: d for d in prepared.documents}
    chunk_by_id = {c.chunk_id: c for c in prepared.chunks}
    passages = [passage_text(c, docs[c.doc_id]) for c in prepared.chunks]
    contexts = [context_text(c, docs[c.doc_id]) for c in prepared.chunks]
    spans = [candidate_text(c, chunk_by_id[c.chunk_id], docs) for c in prepared.candidates]
    clause_texts = [
        docs[chunk_by_id[prepared.candidates[o].chunk_id].doc_id].text[s:e] for o, s, e in clause_rows
    ]
    # The model reads text, not markup: "AUD&nbsp;6.4 billion" is embedded as "AUD 6.4 billion".
    return [html.unescape(t) for t in (*passages, *contexts, *spans, *clause_texts)]


def clause_spans(prepared: Prepared) -> list[tuple[int, int, int]]:
    """(candidate row, start, end) of the parts a candidate may also match by: the clauses of a
    long sentence, and a list item on its own (its lead-in, embedded with it, can drown it:
    "The Recovery Centre at 40 Quarry Road accepts the following items free of charge: TVs")."""
    docs = {d.doc_id: d for d in prepared.documents}
    chunk_by_id = {c.chunk_id: c for c in prepared.chunks}
    out: list[tuple[int, int, int]] = []
    for row, cand in enumerate(prepared.candidates):
        chunk = chunk_by_id[cand.chunk_id]
        if cand.first != cand.last:
            continue
        kind = chunk.units[cand.first].kind
        if kind is UnitKind.SENTENCE:
            out.extend((row, s, e) for s, e in clauses(docs[chunk.doc_id].text, cand.start, cand.end))
        elif kind is UnitKind.ITEM and cand.lead_start >= 0:
            out.append((row, cand.start, cand.end))
    return out


def lexical_index(prepared: Prepared) -> tuple[TermAnalyzer, bm25s.BM25]:
    """The term analysis of the corpus and BM25 over its passages (title, headings and text)."""
    docs = {d.doc_id: d for d in prepared.documents}
    analyzer = TermAnalyzer.from_texts([d.text for d in prepared.documents])
    terms = [analyzer.doc_terms(passage_text(c, docs[c.doc_id])) for c in prepared.chunks]
    bm25 = bm25s.BM25()
    # bm25s cannot index an empty token list; a passage of stopwords only gets a term no query has.
    bm25.index([t or [NO_TERMS] for t in terms], show_progress=False)
    return analyzer, bm25


NO_TERMS = "\u2205"


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reusable_vectors(previous: IndexData | None, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of an earlier index built with the same model, by the hash of the text each was
    embedded from (stored with the index), so re-indexing embeds only what changed, whatever
    rules produced the texts then and now."""
    if previous is None:
        return {}
    built_with = ModelSignature.from_json(previous.manifest.get("model"))
    if built_with is None or built_with.mismatch(ModelSignature.of(embedder)) is not None:
        return {}
    return dict(zip(previous.text_hashes, previous.all_vectors, strict=True))


@dataclass(frozen=True)
class Embedded:
    """The index's data, and how many of its distinct texts were embedded or reused."""

    data: IndexData
    embedded: int
    reused: int


def embed_prepared(
    prepared: Prepared,
    embedder: Embedder,
    *,
    progress: bool = False,
    reuse: dict[str, np.ndarray] | None = None,
) -> Embedded:
    """Vectors for every text, reusing known ones by the hash of their text."""
    clause_rows = clause_spans(prepared)
    texts = embedding_texts(prepared, clause_rows)
    keys = [_text_key(t) for t in texts]
    reuse = reuse or {}
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in reuse}.items())
    # One call for everything new, so the progress bar covers the whole job.
    fresh = embedder.embed([t for _, t in missing], progress=progress)
    known = {**reuse, **{k: v for (k, _), v in zip(missing, fresh, strict=True)}}
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    n, m = len(prepared.chunks), len(prepared.candidates)
    parts = [vectors[:n], vectors[n : 2 * n], vectors[2 * n : 2 * n + m], vectors[2 * n + m :]]
    passages, contexts, spans, clause_vectors = (np.ascontiguousarray(p, dtype=np.float32) for p in parts)
    analyzer, bm25 = lexical_index(prepared)
    data = IndexData(
        prepared.documents,
        prepared.chunks,
        prepared.candidates,
        passages,
        contexts,
        spans,
        analyzer,
        bm25,
        clause_owner=[o for o, _, _ in clause_rows],
        clause_vectors=clause_vectors,
        text_hashes=keys,
    )
    return Embedded(data, len(missing), len(set(keys) & reuse.keys()))


def build_index(
    corpus: Path,
    out: Path,
    embedder: Embedder,
    params: ChunkingParams | None = None,
    *,
    progress: bool = False,
    replace: bool = False,
    options: CorpusOptions | None = None,
    strict: bool = False,
    query_encoder: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Index `corpus` as the next version of the index at `out` and make it the live one.

    The corpus is read before `out` is touched (a refused corpus creates nothing); the rest runs
    under the build lock, so the vectors reused are those of the version that is live when the
    new one replaces it, also when the build before this one was killed half-way. An index built
    from another corpus is not replaced unless `replace` says so; with `strict`, a corpus with any
    file skipped is refused. `query_encoder` (the ONNX query encoder's verification record: graphs'
    sha256, agreement with PyTorch) goes into the manifest."""
    params = params or ChunkingParams()
    prepared = prepare(corpus, params, options)
    if strict and prepared.skipped:
        listed = "; ".join(f"{s.path}: {s.reason}" for s in prepared.skipped)
        raise CorpusError(
            f"{len(prepared.skipped)} file(s) of {corpus} would be skipped (--strict): {listed}"
        )
    with IndexWriter(out) as writer:
        previous = writer.previous()
        if previous is not None and not replace:
            _check_same_corpus(previous.manifest, corpus, out)
        reuse = reusable_vectors(previous, embedder)
        del previous  # its memory maps are not needed past this point
        result = embed_prepared(prepared, embedder, progress=progress, reuse=reuse)
        manifest = make_manifest(
            result.data,
            model=ModelSignature.of(embedder),
            params=params,
            corpus_path=str(corpus),
            kbqa_version=__version__,
        )
        manifest["counts"] |= {"embedded": result.embedded, "reused": result.reused}
        manifest["skipped"] = [
            {"path": s.path, "reason": s.reason, "format": s.format} for s in prepared.skipped
        ]
        manifest["report"] = corpus_report(prepared)
        if query_encoder is not None:
            manifest["query_encoder"] = query_encoder
        return writer.commit(result.data, manifest)


def corpus_report(prepared: Prepared) -> dict[str, Any]:
    """What `kbqa index` reports: each document's format, size and the characters cleaning
    removed, and how many files were left out on purpose."""
    documents = [
        {
            "path": d.path,
            "format": d.meta.get("format", "txt"),
            "chars": len(d.text),
            "removed": sum(prepared.removed.get(d.doc_id, {}).values()),
            "removed_by": prepared.removed.get(d.doc_id, {}),
        }
        for d in prepared.documents
    ]
    return {"documents": documents, "excluded": prepared.excluded}


def _check_same_corpus(manifest: dict[str, Any], corpus: Path, out: Path) -> None:
    """Refuse to overwrite an index of another corpus: after a `git pull`, say, `make run` must
    not silently turn a user's own index into the bundled demo's."""
    built_from = manifest.get("corpus", {}).get("path") if isinstance(manifest.get("corpus"), dict) else None
    if built_from and Path(built_from).resolve() != corpus.resolve():
        raise CorpusError(
            f"the index at {out} was built from {built_from}; indexing {corpus} into it would replace "
            "it. Choose another --out, or pass --replace"
        )
