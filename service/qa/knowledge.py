"""The loaded index as the query path reads it: documents by id, passages, answer candidates
grouped by passage, their verbatim texts and their terms (computed once at load, not per query)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from indexer.chunking import Candidate
from indexer.embedding import ModelSignature
from indexer.errors import IndexMismatch
from indexer.models import Block, Chunk, Document, UnitKind
from indexer.store import IndexData
from service.errors import DocumentNotFound
from service.qa.access import ALL, EVERYONE, Audience, Scope
from service.qa.display import Shown, Table, document_blocks, render, tables_of
from service.qa.query import QueryAnalyzer
from service.qa.site import CATALOG_KEY, Site, site_of
from service.qa.table_scope import RowKey, key_range, row_keys


class KnowledgeBase:
    def __init__(self, data: IndexData) -> None:
        self.data = data
        self.analyzer = QueryAnalyzer(data.analyzer)
        self.documents = {d.doc_id: d for d in data.documents}
        self.chunks = data.chunks
        self.candidates = data.candidates
        self._by_chunk: dict[int, list[int]] = defaultdict(list)
        for row, cand in enumerate(data.candidates):
            self._by_chunk[cand.chunk_id].append(row)
        self.restricted = any(d.groups for d in data.documents)
        self._masks: dict[Audience, np.ndarray] = {}
        self._blocks: dict[str, list[Block]] = {}
        self._tables: dict[str, list[Table]] = {}
        self._shown: dict[int, Shown] = {}
        self._site: Site | None = None
        terms = data.analyzer
        self.context_terms = [set(terms.doc_terms(c.context)) for c in self.chunks]
        # Terms of each answer span, and of the span with its lead-in line.
        self.span_terms = [terms.doc_terms(self.span_text(c)) for c in self.candidates]
        self.span_and_lead_terms = [
            set(own) | set(terms.doc_terms(self.lead_text(c)))
            for own, c in zip(self.span_terms, self.candidates, strict=True)
        ]
        # Each table's row keys and row units, read once per table, not once per candidate of it.
        self._tables_read: dict[tuple[int, int], tuple[tuple[RowKey, ...], list[int]]] = {}
        self.table_rows = [self._table_rows(c) for c in self.candidates]

    def _table_rows(self, cand: Candidate) -> tuple[tuple[RowKey, ...], range] | None:
        """For a candidate of table rows: the key of every row of its table (its distinctive terms,
        without the words of the header, headings and title, which all rows share, and its range),
        and which of those rows the candidate holds; None for any other candidate."""
        chunk = self.chunks[cand.chunk_id]
        if chunk.units[cand.first].kind is not UnitKind.ROW:
            return None
        block = chunk.blocks[cand.first]
        table = (cand.chunk_id, block)
        if table not in self._tables_read:
            members = [
                i for i, b in enumerate(chunk.blocks) if b == block and chunk.units[i].kind is UnitKind.ROW
            ]
            terms, text = self.data.analyzer, self.document_of(cand).text
            shared = self.context_terms[cand.chunk_id] | set(terms.doc_terms(self.lead_text(cand)))
            shared |= set(terms.doc_terms(self.document_of(cand).title))
            key_texts = row_keys([text[chunk.units[i].start : chunk.units[i].end] for i in members])
            self._tables_read[table] = (
                tuple(RowKey(frozenset(terms.doc_terms(k)) - shared, key_range(k)) for k in key_texts),
                members,
            )
        keys, members = self._tables_read[table]
        return keys, range(members.index(cand.first), members.index(cand.last) + 1)

    @property
    def manifest(self) -> dict[str, object]:
        return self.data.manifest

    def check_model(self, loaded: ModelSignature) -> None:
        """Raise IndexMismatch unless the index's vectors came from the `loaded` model."""
        built_with = ModelSignature.from_json(self.manifest.get("model"))
        reason = (
            "the index does not say which model built it"
            if built_with is None
            else built_with.mismatch(loaded)
        )
        if reason is not None:
            raise IndexMismatch(reason)

    def document(self, doc_id: str, audience: Audience = EVERYONE) -> Document:
        """A document the audience may read; any other is not found (not "forbidden", which
        would tell that it exists)."""
        doc = self.documents.get(doc_id)
        if doc is None or not audience.may_read(doc):
            raise DocumentNotFound(doc_id)
        return doc

    def blocks(self, doc_id: str) -> list[Block]:
        """The document's structure, parsed when it is first displayed (not at load)."""
        if doc_id not in self._blocks:
            doc = self.documents[doc_id]
            self._blocks[doc_id] = document_blocks(doc.text, doc.title)
        return self._blocks[doc_id]

    def tables(self, doc_id: str) -> list[Table]:
        """The document's tables with their header rows."""
        if doc_id not in self._tables:
            self._tables[doc_id] = tables_of(self.documents[doc_id].text, self.blocks(doc_id))
        return self._tables[doc_id]

    def shown(self, row: int) -> Shown:
        """How passage `row` reads with nothing marked in it: rendered once, when first cited
        (rendering its lines cost more than the rest of a search but the encoder)."""
        if row not in self._shown:
            chunk = self.chunks[row]
            doc = self.documents[chunk.doc_id]
            self._shown[row] = render(doc.text, chunk.start, chunk.end, self.tables(doc.doc_id))
        return self._shown[row]

    def site(self) -> Site:
        """The demo page's title and example questions (computed on first use)."""
        if self._site is None:
            self._site = site_of(self._catalog_entry(), list(self.documents.values()), self.blocks)
        return self._site

    def _catalog_entry(self) -> dict[str, object] | None:
        """The knowledge base's own entry of the corpus catalog, if the corpus is still there."""
        corpus = self.manifest.get("corpus")
        path = corpus.get("path") if isinstance(corpus, dict) else None
        if not isinstance(path, str):
            return None
        try:
            entry = json.loads((Path(path) / "catalog.json").read_text(encoding="utf-8")).get(CATALOG_KEY)
        except (OSError, ValueError, AttributeError):
            return None
        return entry if isinstance(entry, dict) else None

    def visible(self, audience: Audience) -> np.ndarray | None:
        """Which passages the audience may read, as a mask over the chunks; None for all of them."""
        if audience.everything or not self.restricted:
            return None
        if audience not in self._masks:
            readable = {d.doc_id for d in self.documents.values() if audience.may_read(d)}
            self._masks[audience] = np.array([c.doc_id in readable for c in self.chunks], dtype=bool)
        return self._masks[audience]

    def scope(self, audience: Audience) -> Scope:
        """What the audience may read, as every passage store filters it."""
        mask = self.visible(audience)
        return ALL if mask is None else Scope(mask, audience.groups)

    def document_of(self, cand: Candidate) -> Document:
        return self.documents[self.chunks[cand.chunk_id].doc_id]

    def rows_of(self, chunk_id: int) -> list[int]:
        """Candidate rows inside a passage, in document order."""
        return self._by_chunk.get(chunk_id, [])

    def span_text(self, cand: Candidate) -> str:
        return self.document_of(cand).text[cand.start : cand.end]

    def lead_text(self, cand: Candidate) -> str:
        if cand.lead_start < 0:
            return ""
        return self.document_of(cand).text[cand.lead_start : cand.lead_end]

    def unit_kind(self, cand: Candidate) -> UnitKind:
        """The kind of the candidate's first unit: sentence, list item or table row."""
        return self.chunks[cand.chunk_id].units[cand.first].kind

    def starts_paragraph(self, cand: Candidate) -> bool:
        blocks = self.chunks[cand.chunk_id].blocks
        return cand.first == 0 or blocks[cand.first - 1] != blocks[cand.first]

    def whole_faq_answer(self, cand: Candidate) -> bool:
        """An FAQ answer paragraph is written to answer its question in full."""
        chunk: Chunk = self.chunks[cand.chunk_id]
        if chunk.kind != "faq":
            return False
        block = chunk.blocks[cand.first]
        ends = cand.last == len(chunk.units) - 1 or chunk.blocks[cand.last + 1] != block
        return self.starts_paragraph(cand) and ends
