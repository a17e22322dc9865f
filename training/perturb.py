"""Questions made unanswerable by swapping one name or number: near misses drawn from SQuAD.

The near misses that fool the reader are on the topic and share all but one detail with a
sentence that does answer a similar question ("how long does bread keep in the fridge?" against
"keeps three days at room temperature"; "does Salesforce have a CRO?" against a sentence on CROs
in general). SQuAD 2.0's writers made such questions by hand (entity swap, impossible condition).
Here one anchor of the question — a name (a capitalised phrase) or a number that the answer
sentence also says — is replaced by a name or number of the same kind from the question's own
retrieval hits that its paragraph never mentions. The paragraph then no longer answers the
question, yet its answer sentence still matches every other word of it: the hardest negative
there is for "does this say it?". Pure functions of an example and a seeded random source.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from training.pairs import Example

PERTURB_VERSION = 1  # in the training data's cache key: bump when the swaps change

# A name: capitalised words, allowing lower-case joiners inside ("Bank of England").
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:(?:of|the|de|du|von|van|and|for|la|le)\s+)*[A-Z][\w'’.-]*)*")
_NUMBER = re.compile(r"(?<![\w./])\d[\d,]*(?:\.\d+)?(?![\w/])")
_QUESTION_WORDS = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "in", "on",
                   "at", "the", "a", "an", "is", "are", "was", "were", "did", "does", "do", "during",
                   "after", "before", "from", "by", "for", "to", "of", "with", "according", "along",
                   "as", "about", "between", "since", "under", "if", "i"}  # fmt: skip


def anchors(text: str, *, skip_first: bool = False) -> list[tuple[str, int, int, str]]:
    """(phrase, start, end, kind) of the names and numbers in a text; kind is "name" or "number".
    With `skip_first` a capitalised first word (a question's, capitalised as its first) counts only
    when it is not a question or function word."""
    found: list[tuple[str, int, int, str]] = []
    for m in _NAME.finditer(text):
        start, phrase = m.start(), m.group().rstrip(".'’-")
        if skip_first and start == 0:
            first, _, rest = phrase.partition(" ")
            if first.lower() in _QUESTION_WORDS:
                if not rest or not rest[0].isupper():
                    continue
                start, phrase = start + len(first) + 1, rest
        found.append((phrase, start, start + len(phrase), "name"))
    for m in _NUMBER.finditer(text):
        phrase = m.group().rstrip(",")
        found.append((phrase, m.start(), m.start() + len(phrase), "number"))
    return found


def _donations(text: str) -> list[tuple[str, str]]:
    """(phrase, kind) a donor sentence can give: not its first word, which is capitalised for
    being first ("She", "Several"), and names without a leading article ("the The Beatles")."""
    out = []
    for phrase, start, _, kind in anchors(text):
        if start == 0 or phrase.lower() in _QUESTION_WORDS:
            continue
        out.append((phrase.removeprefix("The ").removeprefix("A "), kind))
    return out


def perturb_question(
    question: str, paragraph: str, answer_sentence: str, donors: Sequence[str], rng: random.Random
) -> str | None:
    """The question with one anchor it shares with the answer sentence replaced by a phrase of the
    same kind from the donor texts that the paragraph does not mention; None when there is none."""
    said = answer_sentence.lower()
    shared = [a for a in anchors(question, skip_first=True) if a[0].lower() in said]
    if not shared:
        return None
    phrase, start, end, kind = rng.choice(shared)
    lowered = paragraph.lower()
    # Not said by the paragraph, not already asked, and not a longer form of the anchor.
    options = sorted(
        p
        for p in {p for text in donors for p, k in _donations(text) if k == kind}
        if p.lower() not in lowered and p.lower() not in question.lower() and phrase.lower() not in p.lower()
    )
    if not options:
        return None
    return question[:start] + rng.choice(options) + question[end:]


def perturbed(examples: Sequence[Example], rate: float, rng: random.Random) -> list[Example]:
    """A seeded `rate` share of the SQuAD examples asked about another name or number: groups in
    which nothing answers. Their `sentences` start with the sentence that answered the original
    question (the hard negative that must be shown), then the rest of the paragraph."""
    usable = [e for e in examples if not e.structured and e.positive >= 0 and e.retrieved]
    out: list[Example] = []
    for e in rng.sample(usable, round(rate * len(usable))):
        answer = e.sentences[e.positive]
        donors = [t for _, t in e.retrieved]
        question = perturb_question(e.question, " ".join(e.sentences), answer, donors, rng)
        if question is None:
            continue
        rest = tuple(s for i, s in enumerate(e.sentences) if i != e.positive)
        out.append(Example(f"{e.qid}/swap", question, e.title, (answer, *rest), -1, e.retrieved))
    return out
