"""When does a text match an evidence span? When their longest common run of normalised tokens
(lower-case alphanumerics) covers at least 60% of the span's tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MATCH_THRESHOLD = 0.6
_TOKEN = re.compile(r"[a-z0-9]+")


def norm_tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest contiguous token run shared by a and b (dynamic programming)."""
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def token_overlap(text: str, span: str) -> float:
    span_tokens = norm_tokens(span)
    if not span_tokens:
        return 0.0
    return longest_common_run(norm_tokens(text), span_tokens) / len(span_tokens)


def matches_evidence(text: str | None, evidence: Sequence[str], threshold: float = MATCH_THRESHOLD) -> bool:
    return text is not None and any(token_overlap(text, span) >= threshold for span in evidence)
