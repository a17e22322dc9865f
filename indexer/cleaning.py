"""Generic cleaning of scraped articles.

Cleaning never edits the text: it classifies each line as content or noise (with the reason), so
that every offset the index keeps still points into the original file. The rules are about the
shape of web pages, not about any particular article:

- chrome: share buttons, lone counters and symbols, comment-form prompts, call-to-action and
  tracking lines;
- repeats: a line repeated right after itself (a title printed twice), and runs of two or more
  lines that occur again elsewhere in the same document (ad blocks, promo banners);
- fragments: short lines that start in lower case, and lines cut off after a function word
  (truncated paragraphs, split-up banner text);
- islands: a line whose neighbours on both sides are noise is noise too (the one sentence left
  inside an ad block or a comment form), and so is a short stray last line after noise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from indexer.text import FUNCTION_WORDS, normalize

BULLET = re.compile(r"^(?:[-*\u2022\u00b7\u2013\u2014\u25aa\u25e6\u2023]|\d{1,2}[.)])\s+")
_NO_LETTERS = re.compile(r"^[^A-Za-z\u00c0-\uffff]*$")
_CHROME = re.compile(
    r"""^(?:
        (?:share|tweet|pin|post|email|print|like|follow|subscribe)(?:\s+(?:on|this|via|to|it|us))?
            (?:\s+\w+){0,2}[!.]?
      | (?:please\s+)?(?:enter|leave|add|post|write)\s+(?:your|a)\s+
            (?:comment|reply|name|email)(?:\s+\w+){0,3}[!.]?
      | (?:leave\s+a\s+reply|add\s+your\s+comment|comments?|reply|cancel\s+reply|post\s+comment)[!.]?
      | your\s+email\s+address\s+will\s+not\s+be\s+published.*
      | (?:advertisement|sponsored(?:\s+content)?|ad|cookie\s+settings|accept\s+(?:all\s+)?cookies)
      | (?:try\s+it\s+(?:for\s+)?free|sign\s+up(?:\s+now|\s+for\s+free)?|get\s+started|click\s+here|
         download\s+(?:now|the\s+app)|learn\s+more|read\s+more|see\s+more|subscribe\s+now)[!.]?
      | (?:https?://|www\.)\S+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_LEADING_DATE = re.compile(
    r"^(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2})\s*"
)


@dataclass(frozen=True)
class Line:
    """A non-blank line: `start`/`end` bound its content (surrounding whitespace excluded).
    `gap_before` says a blank line precedes it; `noise` names the rule that dropped it."""

    start: int
    end: int
    text: str
    gap_before: bool
    noise: str | None = None

    @property
    def is_noise(self) -> bool:
        return self.noise is not None


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    gap = False
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            start = pos + (len(body) - len(body.lstrip()))
            lines.append(Line(start, start + len(stripped), stripped, gap))
            gap = False
        else:
            gap = True
        pos += len(raw)
    return lines


def _key(text: str) -> str:
    return " ".join(normalize(text).lower().split())


def _chrome_reason(line: Line) -> str | None:
    text = line.text
    if _NO_LETTERS.match(text):
        return "chrome:no-letters"
    if _CHROME.match(text):
        return "chrome:ui"
    if BULLET.match(text):
        return None
    words = text.split()
    if text[-1] in ".!?:;\"'\u201d)":
        return None
    if len(words) <= 6 and words[0][0].islower():
        return "fragment"
    last = re.sub(r"\W+$", "", words[-1]).lower()
    if last in FUNCTION_WORDS:
        return "truncated"
    return None


def _repeat_reasons(lines: list[Line]) -> dict[int, str]:
    keys = [_key(line.text) for line in lines]
    reasons: dict[int, str] = {}
    for i in range(1, len(keys)):
        if keys[i] == keys[i - 1]:
            reasons[i] = "repeat:adjacent"
    # Runs of >= 2 consecutive lines that recur elsewhere: index every pair of neighbours.
    pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in range(len(keys) - 1):
        if i + 1 not in reasons:
            pairs[(keys[i], keys[i + 1])].append(i)
    for starts in pairs.values():
        if len(starts) > 1 and not _overlapping(starts):
            for i in starts:
                reasons.setdefault(i, "repeat:block")
                reasons.setdefault(i + 1, "repeat:block")
    return reasons


def _overlapping(starts: list[int]) -> bool:
    # "a a a" yields the pair (a, a) at 0 and 1: that is one repeated line, not a repeated block.
    return any(b - a < 2 for a, b in zip(starts, starts[1:], strict=False))


def _stray(text: str) -> bool:
    """A last line after noise is noise too when it is no sentence (a stray byline or label)."""
    return len(text.split()) <= 4 and text[-1] not in ".!?"


def clean_lines(text: str) -> list[Line]:
    """All non-blank lines of `text`, each marked as content or noise."""
    lines = split_lines(text)
    reasons: dict[int, str] = {}
    for i, line in enumerate(lines):
        if (reason := _chrome_reason(line)) is not None:
            reasons[i] = reason
    for i, reason in _repeat_reasons(lines).items():
        reasons.setdefault(i, reason)
    # Adjacent repeats are transparent for the island rule: a title printed twice is not an island.
    visible = [i for i in range(len(lines)) if reasons.get(i) != "repeat:adjacent"]
    islands = [
        i
        for k, i in enumerate(visible)
        if i not in reasons
        and k > 0
        and visible[k - 1] in reasons
        and (
            (k + 1 == len(visible) and _stray(lines[i].text))
            or (k + 1 < len(visible) and visible[k + 1] in reasons)
        )
    ]
    for i in islands:
        reasons[i] = "island"
    out: list[Line] = []
    for i, line in enumerate(lines):
        line = _strip_leading_date(line) if i not in reasons else line
        out.append(Line(line.start, line.end, line.text, line.gap_before, reasons.get(i)))
    return out


def _strip_leading_date(line: Line) -> Line:
    """A publication date glued to the first words of a paragraph is metadata, not content."""
    match = _LEADING_DATE.match(line.text)
    if match is None or match.end() >= len(line.text) or len(line.text.split()) < 8:
        return line
    return Line(line.start + match.end(), line.end, line.text[match.end() :], line.gap_before)
