"""What kind of thing a question asks for, and whether a span has it: a role for "who", a cause
for "why", a condition for "when does", a quantity of the right kind for "how many / how much /
when was", a contrast for "X vs Y", a list for "which X", instructions for "how do I". Read
from the question's wording with regular expressions; pure functions."""

from __future__ import annotations

import functools
import re

from indexer.text import STOPWORDS

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
# "how do I report phishing", "how to book a room": instructions, best given as steps ("To enrol,
# install the app, open ..."), an imperative ("Use the Report button") or what one must do.
_ASKS_PROCEDURE = re.compile(
    # ("how can I tell when / know if ..." asks for a sign, not steps)
    r"^\s*how\s+(?:do|can|should|could|would|shall|must)\s+(?:i|we|you)\b(?!\s+(?:tell|know|see)\b)|"
    r"^\s*how\s+to\b|"
    r"\b(?:steps?|procedure|process)\s+(?:to|for)\b",
    re.IGNORECASE,
)
_ACTION = (
    r"(?:use|install|open|go|click|select|choose|enter|type|sign|log|visit|fill|submit|send|email|call|"
    r"contact|ask|press|tap|scan|download|follow|request|book|complete|register|enrol|enroll|create|add|"
    r"attach|upload|navigate|check|set|turn|switch|raise|report|bring|pick|take|remove|reset|restart|"
    r"plug|hold|place|put|write|tell|apply)\b"
)
_INSTRUCTION = re.compile(
    # an imperative opening a sentence, a clause or a step ("To enrol, install ...; then open ...")
    rf"(?:^\s*|[.:;!]\s+|,\s+(?:then\s+)?|\bthen\s+|^\s*to\s+[a-z]+[^,.]{{0,60}},\s+){_ACTION}|"
    r"\byou\s+(?:need\s+to|must|should|have\s+to|will\s+need\s+to)\s+\w+|"
    r"\b(?:must|should|can)\s+be\s+(?:requested|submitted|approved|booked|raised|reported|sent|filed)\b",
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


# A crude stem: the first five letters match "species"/"specie", "managers"/"management" closely
# enough to tell what a number counts, without a stemmer's view of rare words.
COUNTED_PREFIX = 5


@functools.lru_cache(maxsize=65536)
def _has(pattern: re.Pattern[str], span: str) -> bool:
    """Whether the span matches: the spans are the index's, so each is searched once per process
    rather than once per question (the pool of every question re-reads the same spans)."""
    return pattern.search(span) is not None


@functools.lru_cache(maxsize=65536)
def _counts(span: str, counted: str) -> bool:
    """Whether a number in the span is followed, within four words, by a word of `counted`."""
    stems = [w.lower()[:COUNTED_PREFIX] for w in counted.split() if len(w) > 2 and w.lower() not in STOPWORDS]
    return not stems or any(
        word.lower().startswith(stem)
        for m in _NUMBER_THEN_WORDS.finditer(span)
        for word in m.group(1).split()
        for stem in stems
    )


@functools.lru_cache(maxsize=4096)
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
    if not _has(_QUANTITY_KINDS[kind][1], span):
        return 0.0
    counted = _how_many(question)
    if counted is None:
        return 1.0
    if not _has(_COUNT_IN_SPAN, span):  # "daily" answers how often, not how many
        return 0.0
    return 1.0 if _counts(span, counted) else 0.5


@functools.lru_cache(maxsize=4096)
def _how_many(question: str) -> str | None:
    found = _HOW_MANY.search(question)
    return found.group(1) if found else None


@functools.lru_cache(maxsize=4096)
def question_asks(question: str) -> str:
    """What the question word asks for, in `answer_type`'s order of precedence; read once per
    question (a pool scores dozens of spans against the same question)."""
    tests = (
        ("who", _WHO), ("why", _WHY), ("when", _WHEN), ("quantity", None), ("instances", _ASKS_INSTANCES),
        ("common", _ASKS_COMMON), ("difference", _ASKS_DIFFERENCE), ("procedure", _ASKS_PROCEDURE),
        ("yes_no", _YES_NO),
    )  # fmt: skip
    for name, pattern in tests:
        if (asked_quantity(question) is not None) if pattern is None else pattern.search(question):
            return name
    return ""


def answer_type(question: str, span: str, fragment: bool = False, both_sides: bool = True) -> float:
    """Whether the span holds the kind of thing the question word asks for: a role or name for
    "who", a cause for "why", a condition for "when does", a number for "how many" (money for
    "what does it cost"), a contrast for a comparison (and never a span that leaves out one of
    the things compared: `both_sides`), a list for "which X" (several X), an instruction for
    "how do I" (a step, an imperative, what one must do), a statement (not a list fragment) for
    a yes-no question; 0.5 when the question asks for nothing in particular."""
    asks = question_asks(question)
    if asks == "who":
        return float(_has(_PERSON, span))
    if asks == "why":
        return float(_has(_CAUSE, span))
    if asks == "when":
        return float(_has(_CONDITION, span))
    if asks == "quantity":
        return quantity_fit(question, span) or 0.0
    # Comparisons reward the spans that compare, without ruling out others (a table row).
    if asks == "instances":
        return 1.0 if _has(_ENUMERATION, span) else 0.5
    if asks == "common":
        return 1.0 if _has(_COMMON, span) else 0.5
    if asks == "difference":
        # A comparison is answered by a span about both things compared (`both_sides`).
        if not both_sides:
            return 0.0
        return 1.0 if _has(_CONTRAST, span) else 0.5
    if asks == "procedure":
        return 1.0 if _has(_INSTRUCTION, span) else 0.5
    if asks == "yes_no":
        return float(not fragment)
    return 0.5


def is_fragment(span: str, statement: bool) -> bool:
    """A list item that is not a full sentence ("CRM systems and automation tools"); items
    written as sentences end like one ("Strategy: The VP sets the plan."). Sentences and table
    rows are `statement`s: a row read with its header states a fact ("Pet safe? Yes")."""
    return not statement and not span.rstrip().endswith((".", "!"))


def type_mismatch(question: str, span: str) -> float:
    """A "how many / how much / when was" question is not answered by a span without that kind
    of quantity ("what does it cost" wants money). A number of something else than was asked
    for still counts here: "eight sales managers" may well answer "how many people"."""
    return float(quantity_fit(question, span) == 0.0)
