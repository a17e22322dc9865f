"""Small text utilities shared by indexing, retrieval and evaluation."""

from __future__ import annotations

import html
import re
import unicodedata

from bm25s.stopwords import STOPWORDS_EN

# One notion of a word for all of kbqa: a run of letters and digits of any script. `tokens` (for
# matching) splits at apostrophes after folding "CRO's" and "doesn't"; `WORD` (for rewriting a
# question in place) keeps an inner apostrophe, so a contraction is one word to leave alone.
_TOKEN = re.compile(r"[^\W_]+")
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# "CROs", "KPIs": the plural of an all-capitals acronym is the acronym.
_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,})s\b")
# "doesn't" -> "does not": left alone, the stem "doesn" would pass for a content word.
_NEGATION = re.compile(r"\b(?:can|won|shan|ain)'t\b|n't\b")
_IRREGULAR_NEGATIONS = {"can't": "can not", "won't": "will not", "shan't": "shall not", "ain't": "is not"}

# Words that carry no topic: used to find a question's content terms and to spot truncated lines.
# bm25s's English list covers articles, conjunctions and common prepositions; a question also
# wraps its topic in pronouns, auxiliaries, question words and contractions (typed with or
# without the apostrophe), which must not count as what it is about. "both" is not one: "can a
# company have both X and Y" asks about the two together. "many" and "much" are: "how many" is an
# answer type, and "many historians" says nothing about towns. "vs"/"versus" join the two things
# compared; "wat" is how "what" gets typed.
_QUESTION_STOPWORDS = """
    about above after again against all also am any because been before being below between can
    could did do does doing down during each few from further had has have having he her here hers
    him his how i its itself just many me more most much my nor now off once only other our ours
    out over own same she should so some than theirs them those through too under until up very
    we were what when where whether which while who whom why would you your yours
    aint arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt im ive shouldnt thats theres
    theyre wasnt werent wont wouldnt youre whats what's d ll m re s t ve y versus vs wat
"""
STOPWORDS: frozenset[str] = frozenset(STOPWORDS_EN) | frozenset(_QUESTION_STOPWORDS.split())

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
