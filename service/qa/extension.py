"""Extension of the chosen span to what it needs to stand alone: the sentence after a span that
only restates the question or is too short, the sentence before one that leans on it. Pure: reads
the candidate pool, returns the position of the candidate to answer with."""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.chunking import Candidate

# Openings that refer back: contrast markers and pronouns standing for something said before.
_DEPENDENT = re.compile(
    r"^(?:(?:this|these|they|it|such|their|its)\b|[^.,;]{0,60},\s*(?:on the other hand|however|in contrast|"
    r"by contrast|instead|too|also)\b|(?:however|in contrast|by contrast|instead|similarly|likewise|"
    r"on the other hand)\b)",
    re.IGNORECASE,
)
# A span with fewer new words than this share mostly restates the question.
ECHO_NOVELTY = 0.5
# A lone sentence shorter than this ("Avoid white vinegar.", "No.") is explained by the next one.
MIN_ANSWER_WORDS = 5


def leans_on_previous(sentence: str) -> bool:
    """True when a sentence only makes sense after the one before it."""
    return _DEPENDENT.match(sentence) is not None


def needs_next_sentence(span: str, novelty: float, single_sentence: bool) -> bool:
    """A span that mostly restates the question ("The metrics of a CSO and CRO differ.") or a
    lone sentence too short to stand alone is answered by the sentence after it."""
    return novelty < ECHO_NOVELTY or (single_sentence and len(span.split()) < MIN_ANSWER_WORDS)


def find(pool: Sequence[Candidate], chunk_id: int, first: int, last: int, default: int) -> int:
    """Position in `pool` of the candidate covering units first..last of a chunk, if any."""
    for i, cand in enumerate(pool):
        if cand.chunk_id == chunk_id and cand.first == first and cand.last == last:
            return i
    return default


def past_echo(pool: Sequence[Candidate], best: int, span: str, novelty: float, single_sentence: bool) -> int:
    """The candidate one sentence longer than `pool[best]` when that one needs the next sentence."""
    if best < 0 or not needs_next_sentence(span, novelty, single_sentence):
        return best
    chosen = pool[best]
    return find(pool, chosen.chunk_id, chosen.first, chosen.last + 1, best)


def with_antecedent(pool: Sequence[Candidate], best: int, span: str, sentence: bool) -> int:
    """The candidate that also holds the sentence before a span opening by leaning on it ("The
    COO, on the other hand, ...", "They also ...")."""
    if best < 0 or not sentence or not leans_on_previous(span):
        return best
    chosen = pool[best]
    return find(pool, chosen.chunk_id, chosen.first - 1, chosen.last, best)
