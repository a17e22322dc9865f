"""When does a text match an evidence span? When their longest common run of tokens (the one
tokenizer of kbqa, `indexer.text.tokens`) covers at least 60% of the span's tokens."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from indexer.text import tokens

MATCH_THRESHOLD = 0.6


def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest contiguous token run shared by a and b."""
    # autojunk off: difflib would otherwise ignore tokens frequent in long texts ("the").
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.find_longest_match(0, len(a), 0, len(b)).size


def token_overlap(text: str, span: str) -> float:
    span_tokens = tokens(span)
    if not span_tokens:
        return 0.0
    return longest_common_run(tokens(text), span_tokens) / len(span_tokens)


def matches_evidence(text: str | None, evidence: Sequence[str], threshold: float = MATCH_THRESHOLD) -> bool:
    return text is not None and any(token_overlap(text, span) >= threshold for span in evidence)
