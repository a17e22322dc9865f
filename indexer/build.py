"""The indexing pipeline: corpus folder -> cleaned, structured, chunked documents -> vectors ->
index directory. `prepare` is pure (no model); `build_index` adds the embedder and the disk."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer import __version__
from indexer.chunking import Candidate, ChunkingParams, candidates_for, chunk_document, clauses
from indexer.cleaning import clean_lines
from indexer.corpus import read_corpus
from indexer.embedding import Embedder
from indexer.errors import CorpusError, IndexLoadError
from indexer.models import Chunk, Document, UnitKind
from indexer.store import IndexData, make_manifest, read_index, write_index
from indexer.structure import parse_blocks, title_from_lines


@dataclass(frozen=True)
class Prepared:
    documents: list[Document]
    chunks: list[Chunk]
    candidates: list[Candidate]


def passage_text(chunk: Chunk, document: Document) -> str:
    """What is embedded and BM25-indexed for a passage: title and context, then its own text."""
    head = " > ".join(p for p in (document.title, chunk.context) if p)
    return f"{head}\n{document.text[chunk.start : chunk.end]}"


def context_text(chunk: Chunk, document: Document) -> str:
    """What the question is compared with as the passage's place: its headings (or the title)."""
    return chunk.context or document.title


def candidate_text(candidate: Candidate, chunk: Chunk, docs: dict[str, Document]) -> str:
    """What is embedded for an answer span. List items, table rows and FAQ answers mean little
    without what introduces them, so they are embedded after their headings and lead-in line;
    prose sentences stand alone, so sentences of one section stay distinguishable."""
    text = docs[chunk.doc_id].text
    span = text[candidate.start : candidate.end]
    if candidate.lead_start >= 0:
        lead = text[candidate.lead_start : candidate.lead_end]
        row = candidate.first == candidate.last and chunk.units[candidate.first].kind is UnitKind.ROW
        if row and (pairs := row_with_header(lead, span)) is not None:
            # The header now sits in the pairs: the context keeps only the headings.
            return f"{chunk.context.removesuffix(lead).rstrip(' >')} > {pairs}"
        return f"{chunk.context} > {lead} {span}"
    if chunk.kind == "faq" and chunk.context:
        return f"{chunk.context}: {span}"
    return span


_CELL_SEPARATOR = re.compile(r"\s*\|\s*|\t+|\s{2,}")


def row_with_header(header: str, row: str) -> str | None:
    """A table row read against its header, "Plant: Pothos; Pet safe?: No", when both split into
    the same cells (on pipes, tabs or runs of spaces): the model reads pairs better than a bare
    row of values."""
    names, cells = (_cells(line) for line in (header, row))
    if len(names) < 2 or len(names) != len(cells):
        return None
    return "; ".join(f"{name}: {cell}" for name, cell in zip(names, cells, strict=True))


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SEPARATOR.split(line.strip().strip("|")) if cell.strip()]


def prepare_document(
    document: Document, params: ChunkingParams, first_id: int
) -> tuple[Document, list[Chunk]]:
    lines = clean_lines(document.text)
    title = document.title or title_from_lines(lines) or Path(document.path).stem
    blocks = parse_blocks(document.text, lines, title)
    chunks = chunk_document(document.doc_id, document.text, blocks, params, first_id)
    resolved = Document(document.doc_id, document.path, title, document.text, document.sha256, document.meta)
    return resolved, chunks


def prepare(corpus: Path, params: ChunkingParams) -> Prepared:
    documents: list[Document] = []
    chunks: list[Chunk] = []
    for document, _entry in read_corpus(corpus):
        resolved, doc_chunks = prepare_document(document, params, len(chunks))
        documents.append(resolved)
        chunks.extend(doc_chunks)
    if not chunks:
        raise CorpusError(f"no indexable text in {corpus}: every file is empty or only page chrome")
    texts = {d.doc_id: d.text for d in documents}
    candidates = [c for chunk in chunks for c in candidates_for(chunk, texts[chunk.doc_id], params)]
    return Prepared(documents, chunks, candidates)


def embedding_texts(prepared: Prepared) -> list[str]:
    """Every text the index embeds, in row order: passages, then contexts, then answer spans."""
    docs = {d.doc_id: d for d in prepared.documents}
    chunk_by_id = {c.chunk_id: c for c in prepared.chunks}
    passages = [passage_text(c, docs[c.doc_id]) for c in prepared.chunks]
    contexts = [context_text(c, docs[c.doc_id]) for c in prepared.chunks]
    spans = [candidate_text(c, chunk_by_id[c.chunk_id], docs) for c in prepared.candidates]
    clause_texts = [
        docs[chunk_by_id[prepared.candidates[o].chunk_id].doc_id].text[s:e]
        for o, s, e in clause_spans(prepared)
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


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reusable_vectors(previous: IndexData | None, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of an earlier index built with the same model, by the hash of the text each was
    embedded from (stored with the index), so re-indexing embeds only what changed, whatever
    rules produced the texts then and now."""
    if previous is None:
        return {}
    model = previous.manifest.get("model", {})
    if (model.get("id"), model.get("dimension"), model.get("weights_sha256")) != (
        embedder.model_id,
        embedder.dimension,
        embedder.weights_sha256,
    ):
        return {}
    return dict(zip(previous.text_hashes, previous.all_vectors, strict=True))


def embed_prepared(
    prepared: Prepared,
    embedder: Embedder,
    *,
    progress: bool = False,
    reuse: dict[str, np.ndarray] | None = None,
) -> tuple[IndexData, int]:
    """Vectors for every text, reusing known ones; returns the data and how many distinct texts
    had to be embedded (the rest came from `reuse`)."""
    texts = embedding_texts(prepared)
    keys = [_text_key(t) for t in texts]
    reuse = reuse or {}
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in reuse}.items())
    # One call for everything new, so the progress bar covers the whole job.
    fresh = embedder.embed([t for _, t in missing], progress=progress)
    known = {**reuse, **{k: v for (k, _), v in zip(missing, fresh, strict=True)}}
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    n, m = len(prepared.chunks), len(prepared.candidates)
    clause_rows = clause_spans(prepared)
    parts = [vectors[:n], vectors[n : 2 * n], vectors[2 * n : 2 * n + m], vectors[2 * n + m :]]
    passages, contexts, spans, clause_vectors = (np.ascontiguousarray(p, dtype=np.float32) for p in parts)
    data = IndexData(
        prepared.documents,
        prepared.chunks,
        prepared.candidates,
        passages,
        contexts,
        spans,
        clause_owner=[o for o, _, _ in clause_rows],
        clause_vectors=clause_vectors,
        text_hashes=keys,
    )
    return data, len(missing)


def build_index(
    corpus: Path,
    out: Path,
    embedder: Embedder,
    params: ChunkingParams | None = None,
    *,
    progress: bool = False,
) -> dict[str, Any]:
    params = params or ChunkingParams()
    try:
        previous: IndexData | None = read_index(out)
    except IndexLoadError:
        previous = None
    prepared = prepare(corpus, params)
    known = reusable_vectors(previous, embedder)
    reusable = {_text_key(t) for t in embedding_texts(prepared)} & known.keys()
    data, embedded = embed_prepared(prepared, embedder, progress=progress, reuse=known)
    manifest = make_manifest(
        data,
        model_id=embedder.model_id,
        weights_sha256=embedder.weights_sha256,
        dimension=embedder.dimension,
        params=params,
        corpus_path=str(corpus),
        kbqa_version=__version__,
    )
    manifest["counts"] |= {"embedded": embedded, "reused": len(reusable)}
    write_index(data, manifest, out)
    return manifest
