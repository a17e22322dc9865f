"""Small text utilities shared by indexing, retrieval and evaluation."""

from __future__ import annotations

import html
import re
import unicodedata

_TOKEN = re.compile(r"[^\W_]+")  # letters and digits of any script
# "CROs", "KPIs": the plural of an all-capitals acronym is the acronym.
_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,})s\b")
# "doesn't" -> "does not": left alone, the stem "doesn" would pass for a content word.
_NEGATION = re.compile(r"\b(?:can|won|shan|ain)'t\b|n't\b")
_IRREGULAR_NEGATIONS = {"can't": "can not", "won't": "will not", "shan't": "shall not", "ain't": "is not"}

# Words that carry no topic: used to find a question's content terms and to spot truncated lines.
# "both" is not one: "can a company have both X and Y" asks about the two together. "many" and
# "much" are: "how many" is an answer type, and "many historians" says nothing about towns.
STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "many",
        "much",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "y",
        "vs",
        "versus",
        "wat",
        "whats",
        "what's",
        # Contractions typed without the apostrophe ("dont", "isnt"): no topic either.
        "aint",
        "arent",
        "cant",
        "couldnt",
        "didnt",
        "doesnt",
        "dont",
        "hadnt",
        "hasnt",
        "havent",
        "im",
        "isnt",
        "ive",
        "shouldnt",
        "thats",
        "theres",
        "theyre",
        "wasnt",
        "werent",
        "wont",
        "wouldnt",
        "youre",
    ]
)

FUNCTION_WORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "by",
        "at",
        "from",
        "as",
        "but",
        "that",
        "which",
        "the",
        "their",
        "its",
        "our",
        "your",
        "this",
        "these",
        "is",
        "are",
        "was",
        "were",
        "be",
    ]
)


def normalize(text: str) -> str:
    """Fold typographic variants (curly quotes, non-breaking spaces, ligatures) and HTML entities
    left over from a web page ("&nbsp;", "&#8217;") to plain forms."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens; possessive 's and acronym plurals are dropped so "CRO's"
    and "CROs" match "CRO", and accents are folded so "Lübeck" is one word that "Lubeck" matches."""
    folded = _ACRONYM_PLURAL.sub(r"\1", normalize(text)).lower().replace("'s ", " ")
    return _TOKEN.findall(fold_accents(expand_negations(folded)))


def fold_accents(text: str) -> str:
    """Letters without their combining marks: "Lübeck" -> "Lubeck", "naïve" -> "naive"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def expand_negations(text: str) -> str:
    """Spell out negative contractions in lower-cased, apostrophe-normalised text."""
    return _NEGATION.sub(lambda m: _IRREGULAR_NEGATIONS.get(m.group(0), " not"), text)


def word_count(text: str) -> int:
    return len(text.split())
