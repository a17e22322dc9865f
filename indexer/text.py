"""Small text utilities shared by indexing, retrieval and evaluation."""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z0-9]+")

# Words that carry no topic: used to find a question's content terms and to spot truncated lines.
STOPWORDS: frozenset[str] = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my no nor
    not now of off on once only or other our ours out over own same she should so some such than that the
    their theirs them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours s t d ll m re ve y vs versus
    wat whats what's""".split()
)

FUNCTION_WORDS: frozenset[str] = frozenset(
    "a an and or of to in on for with by at from as but that which the their its our your this these "
    "is are was were be".split()
)


def normalize(text: str) -> str:
    """Fold typographic variants (curly quotes, non-breaking spaces, ligatures) to plain forms."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens; possessive 's is dropped so "CRO's" matches "CRO"."""
    folded = normalize(text).lower().replace("'s ", " ")
    return _TOKEN.findall(folded)


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS]


def word_count(text: str) -> int:
    return len(text.split())
