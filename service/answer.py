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
    coverage: float = 0.35  # IDF-weighted share of question terms in span + its context
    length_penalty: float = 0.06  # per 10 words beyond `free_words`
    free_words: int = 25


@dataclass(frozen=True)
class SpanFeatures:
    similarity: float
    passage: float
    coverage: float
    words: int


def span_score(f: SpanFeatures, w: AnswerWeights) -> float:
    overflow = max(0, f.words - w.free_words) / 10
    return w.similarity * f.similarity + w.passage * f.passage + w.coverage * f.coverage - w.length_penalty * overflow


def best_index(scores: np.ndarray) -> int:
    """Ties go to the earlier (better-ranked, shorter) span."""
    return int(np.argmax(scores)) if scores.size else -1
