"""Term analysis shared by the index (BM25 over passages) and the query path: Snowball stems of
content words, plus a term for every spelled-out name the corpus defines an acronym for, so
"Chief Revenue Officer" and "CRO" match each other. Built from the corpus at index time and saved
with the index (`analysis.json`), so both sides read text the same way."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import Stemmer

from indexer.text import STOPWORDS, normalize, tokens

# "Chief Revenue Officer (CRO)": capitalised words followed by their initials in parentheses.
_ACRONYM = re.compile(r"((?:[A-Z][\w-]*\s+(?:of\s+|and\s+|&\s+)?){1,6})\(([A-Z][A-Za-z]{1,7})\)")
# "CMO (Chief Marketing Officer)": the reverse order.
_ACRONYM_FIRST = re.compile(r"\b([A-Z][A-Za-z]{1,7})\s+\(((?:[A-Z][\w-]*\s*(?:of\s+|and\s+|&\s+)?){1,6})\)")
_NAME_JOINERS = ("of", "and", "&")


def find_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Name term -> spelled-out name, for the acronyms the texts define: {"cro": "chief revenue
    officer"}, so either form of a name matches the other. An expansion is accepted only when the
    initials of its last words spell the acronym; its most frequent spelling is kept. Variants of
    one name ("Chief Operating/Operations Officer(s)") share their word stems and count as one.
    An acronym the texts define as two different names ("Chief Customer Officer (CCO)", "Chief
    Commercial Officer (CCO)") cannot stand for either: each name becomes a term of its own
    ("chief_customer_officer"), so a question naming one does not match the other."""
    stemmer = Stemmer.Stemmer("english")
    found: dict[str, Counter[str]] = {}
    for text in texts:
        text = normalize(text)
        pairs = [(m.group(2), m.group(1)) for m in _ACRONYM.finditer(text)]
        pairs += [(m.group(1), m.group(2)) for m in _ACRONYM_FIRST.finditer(text)]
        for acronym, long_form in pairs:
            words = [w for w in long_form.split() if w.lower() not in _NAME_JOINERS]
            letters = [c for c in acronym if c.isupper()]
            n = len(letters)
            if n < 2 or len(words) < n:
                continue
            tail = words[-n:]
            if [w[0].upper() for w in tail] == letters:
                found.setdefault(acronym.lower(), Counter())[" ".join(tail).lower()] += 1
    terms: dict[str, str] = {}
    for acronym, spellings in found.items():
        names: dict[tuple[str, ...], str] = {}
        for spelling, _ in spellings.most_common():
            names.setdefault(tuple(stemmer.stemWords(spelling.split())), spelling)
        if len(names) == 1:
            terms[acronym] = next(iter(names.values()))
        else:
            terms.update({"_".join(name.split()): name for name in names.values()})
    return terms


@dataclass
class TermAnalyzer:
    """Turns text into matching terms. `vocabulary` (corpus word counts) lets the query side
    repair typos into words the knowledge base actually contains."""

    vocabulary: Counter[str]
    acronyms: dict[str, str]  # name term -> spelled-out name, from `find_acronyms`
    stemmer: Stemmer.Stemmer = field(default_factory=lambda: Stemmer.Stemmer("english"))
    stems: Counter[str] = field(default_factory=Counter)  # corpus stems of content words, with counts
    _name_patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._name_patterns = {
            term: re.compile(rf"(?<![a-z0-9]){re.escape(name)}s?(?![a-z0-9])")
            for term, name in self.acronyms.items()
        }
        for word, count in self.vocabulary.items():
            if word not in STOPWORDS:
                self.stems[str(self.stemmer.stemWord(word))] += count

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> TermAnalyzer:
        vocabulary: Counter[str] = Counter()
        for text in texts:
            vocabulary.update(tokens(text))
        return cls(vocabulary, find_acronyms(texts))

    def to_json(self) -> dict[str, Any]:
        return {"vocabulary": dict(self.vocabulary), "acronyms": self.acronyms}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TermAnalyzer:
        return cls(Counter({str(k): int(v) for k, v in obj["vocabulary"].items()}), dict(obj["acronyms"]))

    def stem(self, words: Iterable[str]) -> list[str]:
        return [str(s) for s in self.stemmer.stemWords(list(words))]

    def doc_terms(self, text: str) -> list[str]:
        """Stemmed content words, plus the acronym of every spelled-out name the text contains."""
        words = [w for w in tokens(text) if w not in STOPWORDS]
        words += self.names_in(" ".join(tokens(text)))
        return self.stem(words)

    def names_in(self, joined: str) -> list[str]:
        """Name terms of the spelled-out names in a space-joined token string, singular or
        plural ("chief revenue officers" -> "cro")."""
        return [term for term, pattern in self._name_patterns.items() if pattern.search(joined)]
