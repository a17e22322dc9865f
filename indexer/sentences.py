"""Sentence boundaries with character offsets.

A small rule-based splitter: a boundary is terminal punctuation, optional closing quotes or
brackets, whitespace, then something that can open a sentence. Abbreviations and initials do not
end sentences. Rules are enough for edited web prose, and keep offsets exact by construction.
"""

from __future__ import annotations

import re

from indexer.models import Span

# Footnote markers after the full stop ("...Australia.[1] It lies ...") belong to the sentence.
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?:\[\d{1,3}\])*(\s+)(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "vs",
        "etc",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "inc",
        "ltd",
        "co",
        "corp",
        "st",
        "jr",
        "sr",
        "no",
        "fig",
        "approx",
        "dept",
        "est",
        "u.s",
        "u.k",
    ]
)


def _ends_with_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at index `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "(\"'":
        start -= 1
    word = text[start:dot].lower()
    if word in _ABBREVIATIONS:
        return True
    # A single capital letter ("J. Smith") is an initial.
    return len(word) == 1 and text[start].isupper()


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Spans of the sentences in text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _ends_with_abbreviation(text, match.start()):
            continue
        sentence_end = match.start(1)
        if sentence_end > cursor:
            spans.append(Span(cursor, sentence_end))
        cursor = match.end(1)
    spans.append(Span(cursor, end))
    return [trimmed for s in spans if (trimmed := _trim(text, s)) is not None]


def _trim(text: str, span: Span) -> Span | None:
    s, e = span.start, span.end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return Span(s, e) if e > s else None
