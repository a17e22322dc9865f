"""Lexical matching: an analyzer (stemming, typo repair against the corpus vocabulary, acronyms
learned from the corpus) and BM25 over passages via bm25s."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np
import Stemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from indexer.text import STOPWORDS, fold_accents, normalize, tokens
from service.answer import ASKING_WORDS

# "Chief Revenue Officer (CRO)": capitalised words followed by their initials in parentheses.
_ACRONYM = re.compile(r"((?:[A-Z][\w-]*\s+(?:of\s+|and\s+|&\s+)?){1,6})\(([A-Z][A-Za-z]{1,7})\)")
# "CMO (Chief Marketing Officer)": the reverse order.
_ACRONYM_FIRST = re.compile(r"\b([A-Z][A-Za-z]{1,7})\s+\(((?:[A-Z][\w-]*\s*(?:of\s+|and\s+|&\s+)?){1,6})\)")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# Hedges people wrap questions in ("what kind of companies usually ..."): they say how the
# question is asked, not what it is about, and must not make a span look relevant.
QUESTION_HEDGES = frozenset(
    [
        "usually",
        "typically",
        "generally",
        "normally",
        "commonly",
        "basically",
        "actually",
        "really",
        "exactly",
        "mostly",
        "kind",
        "kinds",
        "sort",
        "sorts",
    ]
)
# The things compared are the few words on either side ("... according to the CRO vs VP Sales overview").
_VERSUS = re.compile(
    r"((?:[\w'-]+\s+){0,3}[\w'-]+)\s+(?:vs\.?|versus|compared\s+(?:to|with))\s+([\w'-]+(?:\s+[\w'-]+){0,3})",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\bdiff\w*\s+between\s+(.+?)\s+and\s+(.+)$", re.IGNORECASE)
MIN_TYPO_LENGTH = 4
MIN_SWAP_LENGTH = 3  # "teh": a shorter word only has swapped letters repaired
MIN_PREFIX = 4
TYPO_SCORE_CUTOFF = 84.0


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
            words = [w for w in long_form.split() if w.lower() not in ("of", "and", "&")]
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
class Analyzer:
    """Turns text into matching terms. Built from the corpus so typo repair only proposes words
    the knowledge base actually contains."""

    vocabulary: Counter[str]
    acronyms: dict[str, str]  # name term -> spelled-out name, from `find_acronyms`
    stemmer: Stemmer.Stemmer = field(default_factory=lambda: Stemmer.Stemmer("english"))
    _stems: Counter[str] = field(default_factory=Counter)
    _name_patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._name_patterns = {
            term: re.compile(rf"(?<![a-z0-9]){re.escape(name)}s?(?![a-z0-9])")
            for term, name in self.acronyms.items()
        }
        for word, count in self.vocabulary.items():
            if word not in STOPWORDS:
                self._stems[str(self.stemmer.stemWord(word))] += count

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Analyzer:
        vocabulary: Counter[str] = Counter()
        for text in texts:
            vocabulary.update(tokens(text))
        return cls(vocabulary, find_acronyms(texts))

    def _stem(self, words: Iterable[str]) -> list[str]:
        return [str(s) for s in self.stemmer.stemWords(list(words))]

    def repair(self, word: str) -> str:
        """The closest corpus word for an unknown word ("challanges" -> "challenges"). Words that
        say what a question asks for ("cost", "difference") are known words in any corpus."""
        if word in self.vocabulary or word in ASKING_WORDS or len(word) < MIN_SWAP_LENGTH or word.isdigit():
            return word
        # Another form of a corpus word ("outranks", "executes") is no typo, and stemming already
        # matches it; "repairing" it to a near neighbour ("executives") would change the question.
        if self.stemmer.stemWord(word) in self._stems:
            return word
        # Typos rarely hit the first letter; requiring it keeps absent words ("stake") from being
        # "repaired" into present ones ("take"), which would hide that the corpus lacks them.
        choices = [v for v in self.vocabulary if v[0] == word[0]]
        best = None
        if len(word) >= MIN_TYPO_LENGTH:
            best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE_CUTOFF)
        if best is not None:
            return str(best[0])
        # Two swapped letters ("tiem") cost two edits, too many for the ratio of a short word. A
        # three-letter word is only taken for a function word ("teh", "hte"): "tow" is no "two".
        if len(word) < MIN_TYPO_LENGTH:
            choices = [v for v in self.vocabulary if v in STOPWORDS]
        swaps = [v for v in choices if OSA.distance(word, v) == 1 and Levenshtein.distance(word, v) == 2]
        return max(swaps, key=lambda v: self.vocabulary[v]) if swaps else word

    def query_words(self, question: str) -> list[str]:
        """Content words of a question, typo-repaired."""
        # Filtered again after repair: "shoud" is "should", no content word.
        words = [self.repair(w) for w in tokens(question) if w not in STOPWORDS and w not in QUESTION_HEDGES]
        return [w for w in words if w not in STOPWORDS]

    def expand(self, words: Sequence[str]) -> list[str]:
        """Add acronym expansions and the acronyms of spelled-out names, both ways."""
        out = list(words)
        joined = " ".join(words)
        for acronym, expansion in self.acronyms.items():
            if acronym in words or acronym + "s" in words:
                out.extend(w for w in expansion.split() if w not in STOPWORDS)
        out += [t for t in self._names_in(joined) if t not in words]
        return out

    def query_terms(self, question: str) -> list[str]:
        """Stemmed, expanded question terms, each unknown stem joined by the corpus stems it is a
        prefix of or extends ("tech" -> "technolog", "historically" -> "histori")."""
        stems = self._stem(self.expand(self.query_words(question)))
        return stems + [t for s in stems if s not in self._stems for t in self._related_stems(s)]

    def _related_stems(self, stem: str) -> list[str]:
        if len(stem) < MIN_PREFIX:
            return []
        related = [
            t for t in self._stems if len(t) >= MIN_PREFIX and (t.startswith(stem) or stem.startswith(t))
        ]
        return sorted(related, key=lambda t: -self._stems[t])[:3]

    def coverage_terms(self, question: str) -> list[str]:
        """Question terms for coverage measures, one per concept: a spelled-out name collapses to
        its acronym ("chief revenue officer" -> "cro"), which texts carry for either form."""
        words = self.query_words(question)
        for acronym, expansion in self.acronyms.items():
            parts = expansion.split()
            for i in range(len(words) - len(parts) + 1):
                if [w.rstrip("s") for w in words[i : i + len(parts)]] == [p.rstrip("s") for p in parts]:
                    words[i : i + len(parts)] = [acronym]
                    break
        return self._stem(words)

    def without(self, question: str, term: str) -> str | None:
        """The question with the words that stem to `term` left out, everything else as typed;
        None when no word does (a term that only stands for a spelled-out name)."""
        dropped = False

        def drop(match: re.Match[str]) -> str:
            nonlocal dropped
            lower = fold_accents(match.group(0).lower())
            if lower in STOPWORDS or str(self.stemmer.stemWord(lower)) != term:
                return match.group(0)
            dropped = True
            return ""

        kept = _WORD.sub(drop, question)
        return " ".join(kept.split()) if dropped else None

    def compared(self, question: str) -> tuple[set[str], set[str]] | None:
        """The terms of the two things a comparison sets side by side ("CRO vs COO",
        "difference between X and Y"), or None for any other question."""
        match = _VERSUS.search(question) or _BETWEEN.search(question)
        if match is None:
            return None
        sides = (set(self.coverage_terms(match.group(1))), set(self.coverage_terms(match.group(2))))
        return sides if all(sides) else None

    def doc_terms(self, text: str) -> list[str]:
        """Stemmed content words, plus the acronym of every spelled-out name the text contains."""
        words = [w for w in tokens(text) if w not in STOPWORDS]
        words += self._names_in(" ".join(tokens(text)))
        return self._stem(words)

    def _names_in(self, joined: str) -> list[str]:
        """Name terms of the spelled-out names in a space-joined token string, singular or
        plural ("chief revenue officers" -> "cro")."""
        return [term for term, pattern in self._name_patterns.items() if pattern.search(joined)]

    def rewrite(self, question: str) -> str:
        """The question with typos repaired, for the dense model. Acronyms are not spelled out
        here: the passages carry both forms, and appending expansions measurably diluted the
        question's vector (recall@1 0.81 -> 0.77 on the eval set). Everything else is kept as
        typed: the model reads case-folded word pieces and plurals on its own."""

        def repaired(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = fold_accents(word.lower())
            # Acronyms ("CROs") and contractions ("doesn't") are typed on purpose.
            if lower in STOPWORDS or "'" in word or sum(c.isupper() for c in word) > 1:
                return word
            return word if (fixed := self.repair(lower)) == lower else fixed

        return _WORD.sub(repaired, normalize(question))


class LexicalIndex:
    """BM25 over passage texts, plus IDF for weighting how much of a question a text covers."""

    def __init__(self, analyzer: Analyzer, texts: Sequence[str]) -> None:
        self.analyzer = analyzer
        docs = [analyzer.doc_terms(t) for t in texts]
        self._bm25 = bm25s.BM25()
        self._bm25.index([d or ["\u2205"] for d in docs], show_progress=False)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        n = max(len(docs), 1)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self.n = len(docs)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        if not terms or self.n == 0:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(terms)), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Unknown terms weigh most: a question about something absent should count it."""
        return self._idf.get(term, self.max_idf)

    def known(self, term: str) -> bool:
        return term in self._idf

    def coverage(self, terms: Sequence[str], text_terms: set[str]) -> float:
        """IDF-weighted share of the (distinct) question terms found in a text."""
        distinct = set(terms)
        total = sum(self.idf(t) for t in distinct)
        if total == 0:
            return 0.0
        return sum(self.idf(t) for t in distinct if t in text_terms) / total
