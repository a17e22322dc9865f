"""Which rows of a table a question asks about. A question that names a row's key ("parental
leave after two years", "maximum torque") is answered by that row; one that names none ("how long
is parental leave", "what are the mileage rates") is answered by the whole table, and any one
row of it is a partial answer that reads as complete. A key that is a range ("1 to 3 years",
"More than 3 years", "19–26") is named by a number in it ("after five years"). Pure functions."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

_NUM = r"(\d+(?:\.\d+)?)"
# (pattern, kind, open below, open above): the first that matches a key gives its range.
_RANGES: tuple[tuple[re.Pattern[str], str, bool, bool], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind, low_open, high_open)
    for pattern, kind, low_open, high_open in (
        (rf"{_NUM}\s*(?:-|–|—|to)\s*{_NUM}", "between", False, False),
        (rf"\b(?:less than|fewer than|under|below)\s+{_NUM}", "below", True, True),
        (rf"\b(?:up to|at most)\s+{_NUM}", "below", True, False),
        (rf"\b(?:more than|over|above)\s+{_NUM}", "above", True, True),
        (rf"\b(?:at least|from)\s+{_NUM}|{_NUM}\s*\+", "above", False, True),
    )
)
# Number words in order: the index is the value.
_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)  # fmt: skip
_NUMBER = re.compile(rf"{_NUM}|\b({'|'.join(_WORDS)})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below


@dataclass(frozen=True)
class RowKey:
    """What names a row: the distinctive terms of its key, and the range its key spans, if any."""

    terms: frozenset[str]
    span: Interval | None = None


def key_range(key: str) -> Interval | None:
    """The numbers a key covers: "1 to 3 years" [1, 3], "Less than 1 year" (-inf, 1),
    "More than 3 years" (3, inf), "65+" [65, inf); None for a key that is no range."""
    for pattern, kind, low_open, high_open in _RANGES:
        m = pattern.search(key)
        if m is None:
            continue
        found = [float(g) for g in m.groups() if g is not None]
        if kind == "between":
            return Interval(found[0], found[1])
        if kind == "below":
            return Interval(-math.inf, found[0], low_open, high_open)
        return Interval(found[0], math.inf, low_open, high_open)
    return None


def question_numbers(question: str) -> list[float]:
    """The numbers a question gives, in digits or words up to twenty ("after five years")."""
    return [
        float(digits) if digits else float(_WORDS.index(word.lower()))
        for digits, word in _NUMBER.findall(question)
    ]


def row_cells(row: str) -> list[str]:
    """The cells of a table row: `| a | b |` or `a<TAB>b`. Not `indexer.texts.row_with_header`'s
    splitter: that one also splits on runs of spaces and drops empty cells, which shifts the columns
    keys are read from (tried: it changed w037's answer)."""
    line = row.strip()
    if line.startswith("|"):
        return [cell.strip() for cell in line.strip("|").split("|")]
    return [cell.strip() for cell in line.split("\t")]


def row_keys(rows: Sequence[str]) -> list[str]:
    """Each row's key: its first cells, as many as it takes to tell the rows apart (a table of
    pay by caregiver and weeks is keyed by both, "Primary caregiver 19–26"); the first cell when
    nothing does."""
    cells = [row_cells(r) for r in rows]
    width = min(len(c) for c in cells)
    columns = next((n for n in range(1, width + 1) if len({tuple(c[:n]) for c in cells}) == len(cells)), 1)
    return [" ".join(c[:columns]) for c in cells]


def table_scope(
    asked: Collection[str], numbers: Sequence[float], keys: Sequence[RowKey], rows: range
) -> float:
    """-1 for rows the question does not ask about, +1 for a whole table it asks about as a whole,
    0 otherwise (the rows it names; a table of one row; a span of asked and other rows).

    `keys`: each row's key (its distinctive terms, without the words of the table's header and
    headings, which every row shares, and its range); `asked` and `numbers`: the question's terms
    and numbers. The question asks about the rows whose range holds one of its numbers, else
    those whose key terms it names, or, naming none, about the whole table. A named row gets no
    bonus over prose: naming "whole wheat flour" may ask how much of it a recipe takes, not the
    row of a flour table."""
    if len(keys) < 2:
        return 0.0
    named = {i for i, key in enumerate(keys) if key.span is not None and any(n in key.span for n in numbers)}
    if not named:
        named = {i for i, key in enumerate(keys) if not key.terms.isdisjoint(asked)}
    held = set(rows)
    if not named:
        return 1.0 if held == set(range(len(keys))) else -1.0
    return -1.0 if held.isdisjoint(named) else 0.0
