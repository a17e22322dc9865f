"""Answer selection: score every candidate span (sentence, window of adjacent sentences, short
list) inside the best passages against the question and keep the best one. The score is linear
in a few named features with hand-set weights: fitting them listwise on the eval set lengthened
answers and did worse on the held-out knowledge base in eval/other_kb. Pure: takes features,
returns scores."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from indexer.text import STOPWORDS

FREE_WORDS = 25


@dataclass(frozen=True)
class SpanFeatures:
    similarity: float  # cosine(question, span as embedded: with its lead-in/FAQ question)
    passage: float  # fused score of the passage the span sits in
    coverage: float  # IDF-weighted share of question terms in span + headings, similarity-gated
    own_coverage: float  # ... in the span (and its lead-in line) alone
    novelty: float  # share of the span's terms the question does not already contain
    lead: float  # 1 when the span starts its paragraph, or is a list item or table row (peers, no topic line)
    whole_list: float  # 1 for a whole list or table
    extra_units: float  # sentences beyond the first in a window
    overflow: float  # tens of words beyond FREE_WORDS (0 for a single list item or table row)
    faq_answer: float  # similarity of question and FAQ question, for a span that is that FAQ's whole answer
    answer_type: float  # 1 when the span has what the question word asks for (a role for "who", ...)

    def vector(self) -> np.ndarray:
        return np.array(list(asdict(self).values()), dtype=np.float64)


@dataclass(frozen=True)
class AnswerWeights:
    similarity: float = 0.6
    passage: float = 0.3
    coverage: float = 0.2
    own_coverage: float = 0.1
    novelty: float = 0.2
    lead: float = 0.03
    whole_list: float = 0.0
    extra_units: float = 0.0
    overflow: float = -0.03
    faq_answer: float = 0.1
    answer_type: float = 0.15

    def vector(self) -> np.ndarray:
        return np.array(list(asdict(self).values()), dtype=np.float64)


def span_scores(features: list[SpanFeatures], weights: AnswerWeights) -> np.ndarray:
    if not features:
        return np.zeros(0)
    return np.stack([f.vector() for f in features]) @ weights.vector()


# The words the patterns below read a question's intent from. They are valid words whether or
# not a knowledge base uses them, so typo repair leaves them alone ("cost" is no typo of "coast").
ASKING_WORDS = frozenset(
    """
    cost costs price prices priced fee fees salary salaries money pay paid earn earns charge
    charged percent percentage proportion share fraction year date time number average many much
    long often old far big large soon deep high tall wide heavy fast hot cold differ differs
    difference differences different distinguish versus compare compared comparison contrast
    common similar similarity similarities alike overlap
    """.split()  # noqa: SIM905 (one word list, read as prose)
)

_WHO = re.compile(r"^\s*(?:who|whom|whose)\b", re.IGNORECASE)
_WHY = re.compile(r"^\s*why\b", re.IGNORECASE)
# "when does a company need ...": a condition, not a date ("when was it founded" is a quantity).
_WHEN = re.compile(r"^\s*when\s+(?!was\b|were\b|did\b)", re.IGNORECASE)
# "does / can / should ... ?": a yes-no question is answered by a statement, not a list fragment.
_YES_NO = re.compile(
    r"^\s*(?:do|does|did|is|are|was|were|can|could|should|would|will|has|have|had|must|may)\b", re.I
)
_PERSON = re.compile(
    r"\b(?:[A-Z]{2,5}s?\b|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+|officers?|executives?|managers?|directors?|"
    r"leaders?|president|board|teams?|department)\b"
)
_CAUSE = re.compile(
    r"\b(?:because|so that|due to|owing to|thanks to|in order to|as a result|since|reasons?|"
    r"(?:led|leads?|gave rise|give rise|contribut\w*) to|driven by|caus\w*|result\w* (?:in|from)|"
    r"foster\w*|prompt\w*|spurr\w*|emerged as)\b",
    re.I,
)
# "X vs Y", "how do X and Y differ": a span that sets one against the other answers it.
_ASKS_DIFFERENCE = re.compile(
    r"\b(?:differ\w*|difference|distinguish\w*|vs|versus|compar\w*|contrast)\b", re.IGNORECASE
)
_CONTRAST = re.compile(
    r"\b(?:while|whereas|in contrast|by contrast|unlike|on the other hand|compared (?:to|with)|rather than|"
    r"as opposed to)\b",
    re.I,
)
# "which apps need MFA", "what tools do I need": several things of a kind, best named in a list
# ("email, the VPN and all cloud applications", "such as ...", "including ...").
_AUX = r"(?:do|does|did|are|were|should|can|could|will|would|have|has|need|must|might|may)"
_ASKS_INSTANCES = re.compile(
    rf"^\s*(?:which\s+(?:\w+\s+)?(?!{_AUX}\b)[a-z]+[^s\W]s\b|"
    rf"what\s+(?:(?:kinds?|types?|sorts?)\s+of\s+)?(?:\w+\s+)?[a-z]+[^s\W]s\s+{_AUX}\b)",
    re.IGNORECASE,
)
_ENUMERATION = re.compile(
    r"\b(?:such as|including|e\.g\.|for example|namely)\b|\n|"
    # "A, B and C", but not "However, the CEO and ...": a comma after a discourse word lists nothing
    r"\b(?!(?:however|therefore|instead|additionally|moreover|also|finally|ultimately|overall|thus|"
    r"meanwhile|furthermore|similarly|likewise|yes|no|today|first|second|then|now)\b)\w+,\s+"
    r"(?:[\w'-]+\s+){0,4}(?:and|or)\s+\w",
    re.IGNORECASE,
)
# "what do X and Y have in common": a span about what both share.
_ASKS_COMMON = re.compile(r"\b(?:in common|similarit\w*|alike|both\s+\w+\s+share|overlap)\b", re.I)
_COMMON = re.compile(r"\b(?:both|common|share[sd]?|similar\w*|alike|as well as)\b", re.I)
_CONDITION = re.compile(r"\b(?:when|whenever|if|once|as|until|unless|after|before|while|during)\b", re.I)
# "how many / how much / when was / what time": a quantity, of the kind the question names.
_ASKS_QUANTITY = re.compile(
    r"\b(?:how\s+(?:many|much|long|often|old|far|big|large|soon|deep|high|tall|wide|heavy|fast|hot|cold)|"
    r"what\s+(?:percentage|percent|share|number|year|date|time)|when\s+(?:was|were|did)|which\s+year|average|"
    r"salary|cost)\b",
    re.IGNORECASE,
)
_COUNT = (
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|fifty|hundred|"
    r"thousand|million|billion|dozen|half)\b"
)
_NUMBER = _COUNT + r"|\b(?:percent|annual|yearly|monthly|weekly|daily)\b"  # "how often": "weekly"
_MONTH = r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d"
# kind: (what in the question asks for it, what in a span gives it); the first that matches wins.
_QUANTITY_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    kind: (re.compile(asks, re.IGNORECASE), re.compile(gives, re.IGNORECASE))
    for kind, asks, gives in [
        (
            "percent",
            r"%|\b(?:percentage|percent|proportion|share\s+of|fraction)\b",
            r"%|\bper\s?cent\b|\b(?:half|quarter|third)\b",
        ),
        (
            "money",
            # "pay" and "charge" alone are no money ("parental pay", "charge the battery").
            r"\b(?:costs?|price[sd]?|fees?|salar(?:y|ies)|money)\b|\bhow\s+much\b.*\b(?:pa(?:y|id)|earns?|charge[sd]?)\b",
            r"[$\u20ac\u00a3\u00a5]|\b(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|cents?|free)\b",
        ),
        (
            "date",
            r"\b(?:when\s+(?:was|were|did)|which\s+year|what\s+(?:year|date))\b",
            rf"\b\d{{3,4}}\b|{_MONTH}|\bcentur",
        ),
        ("time", r"\bwhat\s+time\b", r"\d\s*(?:a\.?m\b|p\.?m\b)|\d:\d\d|\b(?:noon|midnight|o.clock)\b"),
        ("amount", r".", _NUMBER),
    ]
}


# "how many fish species": a number next to what is counted ("1,500 species of fish").
_HOW_MANY = re.compile(r"\bhow\s+many\s+([a-z]+(?:\s+[a-z]+)?)", re.IGNORECASE)
_COUNT_IN_SPAN = re.compile(_COUNT, re.IGNORECASE)
_NUMBER_THEN_WORDS = re.compile(r"\d[\d,.]*\s+((?:[\w-]+\s+){0,3}[\w-]+)")


def _counts(span: str, counted: str) -> bool:
    """Whether a number in the span is followed, within four words, by a word of `counted`."""
    stems = [w.lower()[:5] for w in counted.split() if len(w) > 2 and w.lower() not in STOPWORDS]
    return not stems or any(
        word.lower().startswith(stem)
        for m in _NUMBER_THEN_WORDS.finditer(span)
        for word in m.group(1).split()
        for stem in stems
    )


def asked_quantity(question: str) -> str | None:
    """The kind of quantity a question asks for ("percent", "money", "date", "time", "amount"),
    or None when it asks for none."""
    if not _ASKS_QUANTITY.search(question):
        return None
    return next(kind for kind, (asks, _) in _QUANTITY_KINDS.items() if asks.search(question))


def quantity_fit(question: str, span: str) -> float | None:
    """None for a question that asks for no quantity; else 1.0 when the span has the kind asked
    for (for "how many X", a number of X), 0.5 for a number of something else, 0.0 for none."""
    kind = asked_quantity(question)
    if kind is None:
        return None
    if not _QUANTITY_KINDS[kind][1].search(span):
        return 0.0
    counted = _HOW_MANY.search(question)
    if counted is None:
        return 1.0
    if not _COUNT_IN_SPAN.search(span):  # "daily" answers how often, not how many
        return 0.0
    return 1.0 if _counts(span, counted.group(1)) else 0.5


def answer_type(question: str, span: str, fragment: bool = False, both_sides: bool = True) -> float:
    """Whether the span holds the kind of thing the question word asks for: a role or name for
    "who", a cause for "why", a condition for "when does", a number for "how many" (money for
    "what does it cost"), a contrast for a comparison (and never a span that leaves out one of
    the things compared: `both_sides`), a list for "which X" (several X), a statement (not a
    list fragment) for a yes-no question; 0.5 when the question asks for nothing in particular."""
    if _WHO.search(question):
        return float(bool(_PERSON.search(span)))
    if _WHY.search(question):
        return float(bool(_CAUSE.search(span)))
    if _WHEN.search(question):
        return float(bool(_CONDITION.search(span)))
    if (fit := quantity_fit(question, span)) is not None:
        return fit
    # Comparisons reward the spans that compare, without ruling out others (a table row).
    if _ASKS_INSTANCES.search(question):
        return 1.0 if _ENUMERATION.search(span) else 0.5
    if _ASKS_COMMON.search(question):
        return 1.0 if _COMMON.search(span) else 0.5
    if _ASKS_DIFFERENCE.search(question):
        # A comparison is answered by a span about both things compared (`both_sides`).
        if not both_sides:
            return 0.0
        return 1.0 if _CONTRAST.search(span) else 0.5
    if _YES_NO.search(question):
        return float(not fragment)
    return 0.5


def is_fragment(span: str, statement: bool) -> bool:
    """A list item that is not a full sentence ("CRM systems and automation tools"); items
    written as sentences end like one ("Strategy: The VP sets the plan."). Sentences and table
    rows are `statement`s: a row read with its header states a fact ("Pet safe? Yes")."""
    return not statement and not span.rstrip().endswith((".", "!"))


# Openings that refer back: contrast markers and pronouns standing for something said before.
_DEPENDENT = re.compile(
    r"^(?:(?:this|these|they|it|such|their|its)\b|[^.,;]{0,60},\s*(?:on the other hand|however|in contrast|"
    r"by contrast|instead|too|also)\b|(?:however|in contrast|by contrast|instead|similarly|likewise|"
    r"on the other hand)\b)",
    re.IGNORECASE,
)


def leans_on_previous(sentence: str) -> bool:
    """True when a sentence only makes sense after the one before it."""
    return _DEPENDENT.match(sentence) is not None


ECHO_NOVELTY = 0.5
MIN_ANSWER_WORDS = 5


def needs_next_sentence(span: str, novelty: float, single_sentence: bool) -> bool:
    """A span that mostly restates the question ("The metrics of a CSO and CRO differ.") or a
    lone sentence too short to stand alone ("Avoid white vinegar.", "No.") is answered by the
    sentence after it."""
    return novelty < ECHO_NOVELTY or (single_sentence and len(span.split()) < MIN_ANSWER_WORDS)


def novelty(span_terms: list[str], question_terms: set[str]) -> float:
    """An answer must add something: "The metrics of a CSO and CRO differ" only echoes
    "CSO vs CRO metrics". Share of the span's distinct content terms that are not in the
    question: a word said three times ("Reports to the CEO ... Reports to the CRO") is one echo."""
    distinct = set(span_terms)
    if not distinct:
        return 0.0
    return sum(t not in question_terms for t in distinct) / len(distinct)


# Below this similarity a span's shared words count only in proportion: "urgent problems can be
# reported to the hotline" shares "report" with "expense report deadline" but is not about it.
FULL_COVERAGE_SIMILARITY = 0.5


def similarity_gated(coverage: float, similarity: float) -> float:
    """Lexical coverage, counted only as far as the span is semantically about the question."""
    return coverage * min(1.0, max(0.0, similarity) / FULL_COVERAGE_SIMILARITY)


def overflow(words: int) -> float:
    return max(0, words - FREE_WORDS) / 10


def best_index(scores: np.ndarray) -> int:
    """Ties go to the earlier (better-ranked, shorter) span."""
    return int(np.argmax(scores)) if scores.size else -1
