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

from service.qa.features import READER_FEATURE, span_scores
from service.qa.knowledge import KnowledgeBase
from service.qa.selection import Pool


class Reader(Protocol):
    """What the stage needs of a cross-encoder: one logit per (question, candidate text)."""

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


def candidate_texts(kb: KnowledgeBase, pool: Pool) -> list[str]:
    """Each candidate as the reranker reads it: title, section path, lead-in (a list's lead-in
    line, a row's header, or the FAQ question of a whole FAQ answer), then the span."""
    from service.reranker import candidate_input  # the one formatter shared with training

    texts = []
    for cand in pool.candidates:
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


def read(kb: KnowledgeBase, pool: Pool, question: str, reader: Reader) -> Pool:
    """The pool with the reranker's logit of every candidate as the `reranker` feature."""
    if not pool.rows:
        return Pool(pool.rows, pool.candidates, {**pool.features, READER_FEATURE: np.zeros(0)})
    logits = reader.logits(spelled_out(kb.analyzer.acronyms, question), candidate_texts(kb, pool))
    return Pool(pool.rows, pool.candidates, {**pool.features, READER_FEATURE: logits.astype(np.float64)})
