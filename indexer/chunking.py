"""Sentence-aligned chunks that stay inside one section, and the answer candidates inside them.

A section's blocks are packed greedily into passages of at most `max_words`; a list or table
travels with the paragraph that introduces it; a block longer than the limit is split between
units (sentences, items, rows), never inside one. Each chunk carries a context string (heading
path, FAQ question, list lead-in) that is embedded and matched with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.models import Block, BlockKind, Chunk, Unit, UnitKind
from indexer.text import word_count

DEFAULT_MAX_WORDS = 110
MAX_CANDIDATE_WORDS = 60


@dataclass(frozen=True)
class ChunkingParams:
    max_words: int = DEFAULT_MAX_WORDS
    max_window: int = 3  # adjacent sentences joined into one answer candidate
    max_candidate_words: int = MAX_CANDIDATE_WORDS


@dataclass(frozen=True)
class Candidate:
    """An answer candidate: units [first, last] of one chunk (a sentence, a window of adjacent
    sentences of one paragraph, or a whole short list). List items and table rows keep the span
    of the line that introduces them (`lead_start`/`lead_end`, -1 when none)."""

    chunk_id: int
    first: int
    last: int
    start: int
    end: int
    lead_start: int = -1
    lead_end: int = -1


# Sentences about the text itself ("This section explores...", "In this article, we will...")
# describe what follows instead of answering anything.
_META = re.compile(
    r"^(?:(?:this|the following|the next)\s+(?:section|article|post|guide|page|chapter)\b"
    r"|in\s+this\s+(?:section|article|post|guide|page|chapter)\b"
    r"|(?:here(?:'|\u2019)?s|here is|here are)\s+(?:how|what|why|a|an|the|some)\b"
    r"|(?:let(?:'|\u2019)s|we(?:'|\u2019)ll|we will)\s+(?:explore|discuss|delve|look|examine|dive)\b)",
    re.IGNORECASE,
)


_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[\u2013\u2014-]\s+")
LONG_SENTENCE_WORDS = 20
MIN_CLAUSE_WORDS = 5


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clause spans of a long sentence, split at commas, semicolons, colons and dashes; pieces
    shorter than MIN_CLAUSE_WORDS join the clause before them. Short sentences give []."""
    if word_count(text[start:end]) <= LONG_SENTENCE_WORDS:
        return []
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        pieces.append((cursor, match.start()))
        cursor = match.end()
    pieces.append((cursor, end))
    merged: list[tuple[int, int]] = []
    for s, e in pieces:
        if merged and word_count(text[s:e]) < MIN_CLAUSE_WORDS:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    if merged and word_count(text[merged[0][0] : merged[0][1]]) < MIN_CLAUSE_WORDS and len(merged) > 1:
        merged[1] = (merged[0][0], merged[1][1])
        merged.pop(0)
    return merged if len(merged) > 1 else []


def is_meta(sentence: str) -> bool:
    return _META.search(sentence) is not None


def _groups(blocks: list[Block]) -> list[list[tuple[int, Block]]]:
    """Content blocks grouped by section; a list/table joins its lead-in paragraph's group."""
    groups: list[list[tuple[int, Block]]] = []
    current_path: tuple[str, ...] | None = None
    for block_id, block in enumerate(blocks):
        if block.kind in (BlockKind.HEADING, BlockKind.QUESTION) or not block.units:
            continue
        if block.heading_path != current_path:
            groups.append([])
            current_path = block.heading_path
        groups[-1].append((block_id, block))
    return groups


def _context(block: Block, text: str) -> str:
    parts = list(block.heading_path)
    if block.lead_in is not None:
        parts.append(text[block.lead_in.start : block.lead_in.end])
    return " > ".join(p for p in parts if p)


def chunk_document(
    doc_id: str, text: str, blocks: list[Block], params: ChunkingParams, first_id: int = 0
) -> list[Chunk]:
    groups: list[list[tuple[int, Unit]]] = []
    for section in _groups(blocks):
        pending: list[tuple[int, Unit]] = []
        pending_words = 0
        for block_id, block in section:
            block_words = sum(word_count(text[u.start : u.end]) for u in block.units)
            joins_lead_in = block.lead_in is not None and pending and pending[-1][1].end == block.lead_in.end
            if pending_words + block_words > params.max_words and pending and not joins_lead_in:
                groups.append(pending)
                pending, pending_words = [], 0
            for unit in block.units:
                words = word_count(text[unit.start : unit.end])
                if pending and pending_words + words > params.max_words:
                    groups.append(pending)
                    pending, pending_words = [], 0
                pending.append((block_id, unit))
                pending_words += words
        if pending:
            groups.append(pending)
    return [_make_chunk(first_id + n, doc_id, text, members, blocks) for n, members in enumerate(groups)]


def _make_chunk(
    chunk_id: int, doc_id: str, text: str, members: list[tuple[int, Unit]], blocks: list[Block]
) -> Chunk:
    block_ids = tuple(b for b, _ in members)
    units = tuple(u for _, u in members)
    # The context names the deepest structure: the last block's lead-in if its list is here
    # without it; the heading path always.
    last_block = blocks[block_ids[-1]]
    lead_in_inside = last_block.lead_in is not None and any(u.end == last_block.lead_in.end for u in units)
    context_block = last_block if not lead_in_inside else _without_lead_in(last_block)
    lead_ins = tuple(
        (b, lead.start, lead.end) for b in dict.fromkeys(block_ids) if (lead := blocks[b].lead_in) is not None
    )
    kinds = {blocks[b].kind.value for b in block_ids}
    kind = "faq" if _is_faq(last_block, blocks) else "+".join(sorted(kinds))
    return Chunk(
        chunk_id=chunk_id,
        doc_id=doc_id,
        section=last_block.heading_path,
        start=units[0].start,
        end=units[-1].end,
        units=units,
        blocks=block_ids,
        context=_context(context_block, text),
        kind=kind,
        lead_ins=lead_ins,
    )


def _without_lead_in(block: Block) -> Block:
    return Block(block.kind, block.start, block.end, block.units, block.level, block.heading_path, None)


def _is_faq(block: Block, blocks: list[Block]) -> bool:
    return any(b.kind is BlockKind.QUESTION and b.heading_path == block.heading_path for b in blocks)


def candidates_for(chunk: Chunk, text: str, params: ChunkingParams) -> list[Candidate]:
    """Sentences, windows of adjacent sentences within one paragraph, and whole short lists."""
    leads = {b: (s, e) for b, s, e in chunk.lead_ins}

    def make(first: int, last: int) -> Candidate:
        start, end = chunk.units[first].start, chunk.units[last].end
        lead = leads.get(chunk.blocks[first]) if chunk.units[first].kind is not UnitKind.SENTENCE else None
        return Candidate(chunk.chunk_id, first, last, start, end, *(lead or (-1, -1)))

    out: list[Candidate] = []
    n = len(chunk.units)
    # A sentence that asks a question or talks about the text itself answers nothing, and a
    # window that contains one is padded with it.
    idle = [
        (t := text[u.start : u.end]).endswith("?") or is_meta(t) if u.kind is UnitKind.SENTENCE else False
        for u in chunk.units
    ]
    for i in range(n):
        for width in range(1, params.max_window + 1):
            j = i + width - 1
            if j >= n or chunk.blocks[j] != chunk.blocks[i] or idle[j]:
                break
            if width > 1 and chunk.units[i].kind is not UnitKind.SENTENCE:
                break
            start, end = chunk.units[i].start, chunk.units[j].end
            if width > 1 and word_count(text[start:end]) > params.max_candidate_words:
                break
            # A sentence that introduces a list ("...include:") does not answer by itself.
            if text[end - 1] in ":?":
                continue
            out.append(make(i, j))
    # A whole list (or table) of one block, when short enough to be an answer by itself.
    by_block: dict[int, list[int]] = {}
    for idx, block_id in enumerate(chunk.blocks):
        by_block.setdefault(block_id, []).append(idx)
    for idxs in by_block.values():
        first, last = idxs[0], idxs[-1]
        if chunk.units[first].kind is UnitKind.SENTENCE or last == first:
            continue
        if word_count(text[chunk.units[first].start : chunk.units[last].end]) <= params.max_candidate_words:
            out.append(make(first, last))
    return out
