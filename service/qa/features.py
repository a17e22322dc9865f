"""Candidate features and the one registry that scores them. Each feature has a name, a function
of one candidate's `CandidateView`, a default weight and a line saying why it is there; a span's
score is the weighted sum, read by name (`Tuning.answer` overrides weights by name). The weights are
hand-set and checked on every eval knowledge base: fitting them listwise lengthened answers and did
worse on the held-out one. Pure: takes views, returns numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.models import UnitKind
from indexer.text import word_count
from service.qa.answer_types import answer_type, is_fragment

# An answer this long costs nothing; every ten words beyond it cost one `overflow` point. Most
# good answers are one or two sentences: the eval sets' evidence spans have a median of 24 words.
FREE_WORDS = 25
# Below this similarity a span's shared words count only in proportion: "urgent problems can be
# reported to the hotline" shares "report" with "expense report deadline" but is not about it.
# Checked from 0.45 to 0.55 with the same results on every eval set.
FULL_COVERAGE_SIMILARITY = 0.5


@dataclass(frozen=True)
class CandidateView:
    """Everything the features read about one candidate span and the question."""

    question: str  # typo-repaired: what answer types are read from
    span: str  # verbatim
    lead: str  # the line that introduces a list item or table row ("" when none)
    kind: UnitKind  # of the span's first unit
    single_unit: bool  # one sentence, list item or table row
    starts_paragraph: bool
    similarity: float  # cosine(question, span as embedded: with its lead-in/FAQ question)
    passage: float  # fused score of the passage the span sits in
    coverage: float  # IDF-weighted share of the question's known terms in span + headings
    own_coverage: float  # ... in the span and its lead-in line alone
    novelty: float  # share of the span's distinct terms the question does not contain
    both_sides: bool  # for "X vs Y": the span or its headings mention both (True otherwise)
    table_scope: float  # table rows: -1 rows not asked about, +1 a table asked about whole


def novelty(span_terms: Sequence[str], question_terms: set[str]) -> float:
    """An answer must add something: "The metrics of a CSO and CRO differ" only echoes
    "CSO vs CRO metrics". Share of the span's distinct content terms that are not in the
    question: a word said three times ("Reports to the CEO ... Reports to the CRO") is one echo."""
    distinct = set(span_terms)
    if not distinct:
        return 0.0
    return sum(t not in question_terms for t in distinct) / len(distinct)


def similarity_gated(coverage: float, similarity: float) -> float:
    """Lexical coverage, counted only as far as the span is semantically about the question."""
    return coverage * min(1.0, max(0.0, similarity) / FULL_COVERAGE_SIMILARITY)


def overflow(words: int) -> float:
    return max(0, words - FREE_WORDS) / 10


def _lead(c: CandidateView) -> float:
    # Prose opens with its topic sentence; list items and table rows are peers.
    return float(c.kind is not UnitKind.SENTENCE or c.starts_paragraph)


def _overflow(c: CandidateView) -> float:
    # A single list item or table row is one point as its author wrote it, nothing to trim.
    if c.kind is not UnitKind.SENTENCE and c.single_unit:
        return 0.0
    return overflow(word_count(c.span))


def _answer_type(c: CandidateView) -> float:
    # A table row says what it answers through its header ("Water when | Top 2 cm is dry").
    typed = f"{c.lead} {c.span}" if c.kind is UnitKind.ROW else c.span
    fragment = is_fragment(c.span, statement=c.kind is not UnitKind.ITEM)
    return answer_type(c.question, typed, fragment=fragment, both_sides=c.both_sides)


@dataclass(frozen=True)
class Feature:
    name: str
    compute: Callable[[CandidateView], float]
    weight: float
    why: str


FEATURES: tuple[Feature, ...] = (
    Feature("similarity", lambda c: c.similarity, 0.6, "the span means what the question asks"),
    Feature("passage", lambda c: c.passage, 0.45, "spans of well-ranked passages are likelier answers"),
    Feature(
        "coverage",
        lambda c: similarity_gated(c.coverage, c.similarity),
        0.2,
        "the question's rarer words appear in the span or its headings",
    ),
    Feature(
        "own_coverage",
        lambda c: similarity_gated(c.own_coverage, c.similarity),
        0.1,
        "... in the span itself, not only in the section it sits in",
    ),
    Feature("novelty", lambda c: c.novelty, 0.2, "an answer adds words; an echo of the question does not"),
    Feature("lead", _lead, 0.03, "a paragraph's first sentence states its point"),
    Feature("overflow", _overflow, -0.03, "tens of words beyond FREE_WORDS: short answers read best"),
    Feature("answer_type", _answer_type, 0.15, "the span holds what the question word asks for"),
    Feature(
        "table_scope",
        lambda c: c.table_scope,
        0.15,
        "table rows: the row the question names, or the whole table when it names none",
    ),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
# The cross-encoder's logit: a feature of the pool as a whole (one batched model call, in
# service/qa/reading.py), weighed with the others when a reranker serves.
READER_FEATURE = "reranker"
DEFAULT_WEIGHTS: Mapping[str, float] = {f.name: f.weight for f in FEATURES}


def feature_table(views: Sequence[CandidateView]) -> dict[str, np.ndarray]:
    """Every registered feature of every candidate, by name."""
    return {f.name: np.array([f.compute(v) for v in views], dtype=np.float64) for f in FEATURES}


def span_scores(table: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted sum of the features, by name (each weight names a feature of the table)."""
    n = len(next(iter(table.values()))) if table else 0
    return sum((w * table[name] for name, w in weights.items()), np.zeros(n))


def best_index(scores: np.ndarray) -> int:
    """Ties go to the earlier (better-ranked, shorter) span."""
    return int(np.argmax(scores)) if scores.size else -1
