"""What is embedded and BM25-indexed for each piece of a document: a passage with its title and
headings, a passage's context, an answer span with what introduces it. Pure functions shared by
the indexer (which embeds them) and the query path (which reads spans the same way)."""

from __future__ import annotations

import re

from indexer.chunking import Candidate
from indexer.models import Chunk, Document, UnitKind


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
