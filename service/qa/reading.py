"""The reading stage: a cross-encoder reads the question against the best candidates of the pool.

The hand-set features rank the whole pool cheaply; the cross-encoder (service/reranker.py) then
reads only the `depth` best of them, because each read costs a model call. Its logit becomes the
pool's `reranker` feature, and the fitted combination (`AnswerModel`, service/qa/answer_model.json)
weighs it with the other features. Pure apart from the model call: takes the pool, returns a pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from indexer.chunking import Candidate
from service.qa.features import READER_FEATURE, span_scores
from service.qa.knowledge import KnowledgeBase
from service.qa.selection import Pool


class Reader(Protocol):
    """What the stage needs of a cross-encoder: one logit per (question, candidate text), and
    what identifies the model (an answer model is fitted for one reranker's logits)."""

    identity: str

    def logits(self, question: str, candidates: Sequence[str]) -> np.ndarray: ...


def spelled_out(acronyms: Mapping[str, str], question: str) -> str:
    """The question with each acronym the corpus defines followed by its name, as the reranker
    was trained to read names ("CRO" -> "CRO (chief revenue officer)")."""
    out = []
    for word in question.split():
        key = word.strip("?,.!").lower().removesuffix("s")
        name = acronyms.get(key, "")
        out.append(f"{word} ({name})" if " " in name else word)
    return " ".join(out)


def candidate_texts(kb: KnowledgeBase, candidates: Sequence[Candidate]) -> list[str]:
    """Each candidate as the reranker reads it: title, section path, lead-in (a list's lead-in
    line, a row's header, or the FAQ question of a whole FAQ answer), then the span."""
    from service.reranker import candidate_input  # the one formatter shared with training

    texts = []
    for cand in candidates:
        lead = kb.lead_text(cand) or (kb.chunks[cand.chunk_id].context if kb.whole_faq_answer(cand) else "")
        texts.append(
            candidate_input(
                kb.span_text(cand),
                title=kb.document_of(cand).title,
                section=kb.chunks[cand.chunk_id].section,
                lead=lead,
            )
        )
    return texts


def shortlist(pool: Pool, weights: Mapping[str, float], depth: int) -> Pool:
    """The `depth` best candidates by the hand-set score, in pool (rank) order."""
    if len(pool.rows) <= depth:
        return pool
    scores = span_scores(pool.features, weights)
    keep = sorted(np.argsort(-scores, kind="stable")[:depth].tolist())
    return Pool(
        [pool.rows[i] for i in keep],
        [pool.candidates[i] for i in keep],
        {name: values[keep] for name, values in pool.features.items()},
    )


def units_read(kb: KnowledgeBase, pool: Pool) -> tuple[list[Candidate], list[list[int]]]:
    """The single sentences, items and rows the reranker reads for the pool, and for each pool
    candidate the positions of its own among them. A window of sentences is read sentence by
    sentence: read whole, it scores as high as the best sentence in it and more (it holds more),
    which turns the reranker into a preference for long answers (measured: 39 words median on the
    dev set, against 27)."""
    index: dict[tuple[int, int, int], int] = {}  # (chunk, first, last) -> position in `units`
    units: list[Candidate] = []
    owned: list[list[int]] = []
    by_chunk: dict[int, dict[int, Candidate]] = {}  # a passage's one-unit candidates, by unit
    for cand in pool.candidates:
        if cand.chunk_id not in by_chunk:
            rows = kb.rows_of(cand.chunk_id)
            by_chunk[cand.chunk_id] = {c.first: c for r in rows if (c := kb.candidates[r]).first == c.last}
        singles = by_chunk[cand.chunk_id]
        spans = range(cand.first, cand.last + 1)
        # A unit with no candidate of its own (none known today) falls back to the whole span.
        parts = [singles[u] for u in spans] if all(u in singles for u in spans) else [cand]
        mine = []
        for part in parts:
            key = (part.chunk_id, part.first, part.last)
            if key not in index:
                index[key] = len(units)
                units.append(part)
            mine.append(index[key])
        owned.append(mine)
    return units, owned


def read(kb: KnowledgeBase, pool: Pool, question: str, reader: Reader) -> Pool:
    """The pool with the `reranker` feature: per candidate, the best logit of its units."""
    if not pool.rows:
        return Pool(pool.rows, pool.candidates, {**pool.features, READER_FEATURE: np.zeros(0)})
    units, owned = units_read(kb, pool)
    logits = reader.logits(spelled_out(kb.analyzer.acronyms, question), candidate_texts(kb, units))
    best = np.array([max(float(logits[i]) for i in mine) for mine in owned])
    return Pool(pool.rows, pool.candidates, {**pool.features, READER_FEATURE: best})
