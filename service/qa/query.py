"""Query analysis, the first stage of the query path: the question's typos repaired against the
corpus vocabulary, acronyms the corpus defines expanded both ways, hedges dropped; its BM25 terms,
its coverage terms (one per concept), and the two sides of a comparison. Pure: built from the
index's `TermAnalyzer`, takes a question, returns an `AnalyzedQuery`."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from indexer.analysis import TermAnalyzer
from indexer.text import STOPWORDS, WORD, fold_accents, normalize, tokens
from service.qa.answer_types import ASKING_WORDS

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
# Typo repair: a word this short has too many near neighbours for a similarity ratio to pick one.
MIN_TYPO_LENGTH = 4
MIN_SWAP_LENGTH = 3  # "teh": a shorter word only has swapped letters repaired
# A stem this short is a prefix of too many others ("pro") to stand for them.
MIN_PREFIX = 4
# rapidfuzz ratio (0-100) a corpus word needs to replace a typed one: one edit in a six-letter word
# ("challanges" -> "challenges" scores 90); 84 keeps "stake" from becoming "state" (80).
TYPO_SCORE_CUTOFF = 84.0
# Corpus stems an unknown stem is joined by ("tech" -> "technolog", "technic", ...), most frequent first.
MAX_RELATED_STEMS = 3


@dataclass(frozen=True)
class AnalyzedQuery:
    """A question as the later stages read it."""

    question: str  # as typed
    repaired: str  # typos repaired ("diffrence" -> "difference"): what the dense model and answer types read
    terms: list[str]  # BM25 terms: stems, acronym expansions, related stems of unknown ones
    coverage_terms: list[str]  # one stem per concept, for coverage measures
    compared: tuple[set[str], set[str]] | None  # the two sides of "X vs Y"


class QueryAnalyzer:
    """Turns questions into terms, with the corpus's vocabulary and acronyms (`TermAnalyzer`)."""

    def __init__(self, terms: TermAnalyzer) -> None:
        self.terms = terms
        self.vocabulary = terms.vocabulary
        self.acronyms = terms.acronyms
        self.stemmer = terms.stemmer
        # Indexes of the vocabulary and the stems, so that a word the corpus lacks is looked up
        # among its candidates rather than by a scan of the whole vocabulary (that was half of a
        # question's analysis here, and grows with the corpus). Lists keep the vocabulary's order,
        # and stems their rank in it, so every choice among equals stays the same.
        self._by_initial: dict[str, list[str]] = {}
        for word in self.vocabulary:
            self._by_initial.setdefault(word[:1], []).append(word)
        self._stop_vocabulary = [v for v in self.vocabulary if v in STOPWORDS]
        self._stem_rank = {t: i for i, t in enumerate(terms.stems) if len(t) >= MIN_PREFIX}
        self._sorted_stems = sorted(self._stem_rank)

    def analyze(self, question: str) -> AnalyzedQuery:
        repaired = self.rewrite(question) or question
        return AnalyzedQuery(
            question,
            repaired,
            self.query_terms(question),
            self.coverage_terms(question),
            self.compared(repaired),
        )

    def _stem(self, words: Sequence[str]) -> list[str]:
        return self.terms.stem(words)

    def repair(self, word: str) -> str:
        """The closest corpus word for an unknown word ("challanges" -> "challenges"). Words that
        say what a question asks for ("cost", "difference") are known words in any corpus."""
        if word in self.vocabulary or word in ASKING_WORDS or len(word) < MIN_SWAP_LENGTH or word.isdigit():
            return word
        # Another form of a corpus word ("outranks", "executes") is no typo, and stemming already
        # matches it; "repairing" it to a near neighbour ("executives") would change the question.
        if self.stemmer.stemWord(word) in self.terms.stems:
            return word
        # Typos rarely hit the first letter; requiring it keeps absent words ("stake") from being
        # "repaired" into present ones ("take"), which would hide that the corpus lacks them.
        choices = self._by_initial.get(word[0], [])
        best = None
        if len(word) >= MIN_TYPO_LENGTH:
            best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE_CUTOFF)
        if best is not None:
            return str(best[0])
        # Two swapped letters ("tiem") cost two edits, too many for the ratio of a short word. A
        # three-letter word is only taken for a function word ("teh", "hte"): "tow" is no "two".
        if len(word) < MIN_TYPO_LENGTH:
            choices = self._stop_vocabulary
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
        out += [t for t in self.terms.names_in(joined) if t not in words]
        return out

    def query_terms(self, question: str) -> list[str]:
        """Stemmed, expanded question terms, each unknown stem joined by the corpus stems it is a
        prefix of or extends ("tech" -> "technolog", "historically" -> "histori")."""
        stems = self._stem(self.expand(self.query_words(question)))
        return stems + [t for s in stems if s not in self.terms.stems for t in self._related_stems(s)]

    def _related_stems(self, stem: str) -> list[str]:
        if len(stem) < MIN_PREFIX:
            return []
        """Corpus stems (of at least MIN_PREFIX letters) that `stem` is a prefix of or extends,
        most frequent first, ties in the stems' own order."""
        first = bisect_left(self._sorted_stems, stem)
        extending = self._sorted_stems[first : bisect_left(self._sorted_stems, stem + "\U0010ffff")]
        prefixes = [stem[:i] for i in range(MIN_PREFIX, len(stem) + 1) if stem[:i] in self._stem_rank]
        related = set(extending) | set(prefixes)
        return sorted(related, key=lambda t: (-self.terms.stems[t], self._stem_rank[t]))[:MAX_RELATED_STEMS]

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

        kept = WORD.sub(drop, question)
        return " ".join(kept.split()) if dropped else None

    def compared(self, question: str) -> tuple[set[str], set[str]] | None:
        """The terms of the two things a comparison sets side by side ("CRO vs COO",
        "difference between X and Y"), or None for any other question."""
        match = _VERSUS.search(question) or _BETWEEN.search(question)
        if match is None:
            return None
        sides = (set(self.coverage_terms(match.group(1))), set(self.coverage_terms(match.group(2))))
        return sides if all(sides) else None

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

        return WORD.sub(repaired, normalize(question))
