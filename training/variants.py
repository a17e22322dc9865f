"""Question variants the way people type into a search box, made from written questions by rule,
for fitting the abstention model on questions that look like users' (training data only).

SQuAD's questions are full sentences written while reading the paragraph; search-box users also
type bare keywords ("expense report deadline") and make typos ("waht", "recieve"). A threshold
set on full, correctly spelled questions declines too many of those. Both rewrites are pure and
deterministic: the typo's position and kind come from a seed string (the question's id)."""

from __future__ import annotations

import hashlib
import random

from indexer.text import STOPWORDS, WORD

MIN_KEYWORDS = 2  # fewer content words than this is no query
MIN_TYPO_WORD = 5  # shorter words are left alone (and the first letter always is)


def keyword_query(question: str) -> str | None:
    """The question's content words in order, lower case, each once: "When did the Roman Empire
    fall?" -> "roman empire fall". None when fewer than MIN_KEYWORDS remain."""
    seen: list[str] = []
    for match in WORD.finditer(question.lower()):
        word = match.group()
        if word not in STOPWORDS and word not in seen:
            seen.append(word)
    return " ".join(seen) if len(seen) >= MIN_KEYWORDS else None


def misspelled(question: str, seed: str) -> str | None:
    """The question with one typo in one of its longer content words: two letters swapped, one
    dropped or one doubled, never the first letter. None when no word is long enough."""
    matches = [
        m
        for m in WORD.finditer(question)
        if len(m.group()) >= MIN_TYPO_WORD and m.group().isalpha() and m.group().lower() not in STOPWORDS
    ]
    if not matches:
        return None
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
    match = rng.choice(matches)
    word = match.group()
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == "drop":
        typo = word[:i] + word[i + 1 :]
    else:
        typo = word[: i + 1] + word[i:]
    if typo == word:  # swapping two equal letters changes nothing
        typo = word[:i] + word[i + 1 :]
    return question[: match.start()] + typo + question[match.end() :]
