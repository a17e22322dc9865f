"""Answer selection: score every candidate span (sentence, window of adjacent sentences, short
list) inside the best passages against the question, with dense and lexical signals, and keep
the best one. Pure: takes arrays and texts, returns scored spans."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnswerWeights:
    similarity: float = 0.5  # cosine(question, span)
    passage: float = 0.3  # fused score of the passage the span sits in
    coverage: float = 0.2  # IDF-weighted share of question terms in span + its context
    length_penalty: float = 0.03  # per 10 words beyond `free_words`
    free_words: int = 25
    lead: float = 0.03  # the first sentence of a paragraph or answer usually carries its point
    novelty: float = 0.1  # share of the span's words the question does not already contain


@dataclass(frozen=True)
class SpanFeatures:
    similarity: float
    passage: float
    coverage: float
    words: int
    lead: bool = False
    novelty: float = 1.0


def span_score(f: SpanFeatures, w: AnswerWeights) -> float:
    overflow = max(0, f.words - w.free_words) / 10
    return (
        w.similarity * f.similarity
        + w.passage * f.passage
        + w.coverage * f.coverage
        + w.lead * f.lead
        + w.novelty * f.novelty
        - w.length_penalty * overflow
    )


def novelty(span_terms: list[str], question_terms: set[str]) -> float:
    """An answer must add something: "The metrics of a CSO and CRO differ" only echoes
    "CSO vs CRO metrics". Share of the span's content terms that are not in the question."""
    if not span_terms:
        return 0.0
    return sum(t not in question_terms for t in span_terms) / len(span_terms)


def best_index(scores: np.ndarray) -> int:
    """Ties go to the earlier (better-ranked, shorter) span."""
    return int(np.argmax(scores)) if scores.size else -1
