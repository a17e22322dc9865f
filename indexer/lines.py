"""Lines of a document and the joining of hard-wrapped ones.

A line that ends mid-sentence and the line that continues it are one logical line: a sentence
wrapped after "for" or "is" (plain-text exports, PDF extraction, wrapped Markdown, CRLF files) is
then judged whole by the cleaner and read whole by the structure parser. Joining never edits the
text: a joined Line spans its physical lines and its `text` is the document's own slice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text import FUNCTION_WORDS

BULLET = re.compile(r"^(?:[-*\u2022\u00b7\u2013\u2014\u25aa\u25e6\u2023]|\d{1,2}[.)])\s+")
NO_LETTERS = re.compile(r"^[^A-Za-z\u00c0-\uffff]*$")
# "Home | Blog | Shop | Contact", "[Home](/) | [Guides](/guides)": three or more short links.
_NAV_SEPARATOR = re.compile(r"\s+[|\u00b7\u2022/\u203a\u00bb>]\s+")  # also breadcrumbs: Home › Policies
MAX_NAV_ITEM_WORDS = 4
_BYLINE_WORDS = re.compile(r"\b(?:by|updated|published|posted|min(?:ute)?s?\s+read)\b", re.IGNORECASE)


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


# A line continues on the next one when it ends mid-sentence: after a function word, a comma or
# a hyphen, or the next line starts in lower case; or, in hard-wrapped prose, when it fills the
# wrap width (see `_fills_width`).
_OPENS_BLOCK = re.compile(r"^(?:#{1,6}\s|\||>|```)")
_CONTINUING_END = re.compile(r"(?:[,(\-\u2013\u2014/&+]|\w)$")
_SENTENCE_END = ".!?:;\"'\u201d)"
_COLUMNS = re.compile(r"\t|\S {3,}\S")  # cells aligned by tabs or runs of spaces: a table row
MIN_WRAP_WIDTH = 40  # a text wrapped narrower than this is a menu or a table, not prose
WRAP_FILL = 0.7
MIN_WRAPPED_WORDS = 6


def flat(text: str) -> str:
    """A (possibly joined) line on one line: its words separated by single spaces."""
    return " ".join(text.split())


def _last_word(text: str) -> str:
    words = text.split()
    return re.sub(r"\W+$", "", words[-1]).lower() if words else ""


def _continues(a: Line, b: Line, width: int, sentence_follows: bool) -> bool:
    """Whether line `b` continues the sentence line `a` leaves unfinished. `sentence_follows`: a
    line from `b` on, in the same run, ends a sentence (the rows of a table never do)."""
    if b.gap_before or a.text[-1] in _SENTENCE_END or not _CONTINUING_END.search(a.text):
        return False
    if _OPENS_BLOCK.match(a.text) or _OPENS_BLOCK.match(b.text) or BULLET.match(b.text):
        return False
    if NO_LETTERS.match(b.text) or _COLUMNS.search(a.text) or _COLUMNS.search(b.text):
        return False
    if is_nav_bar(a.text) or is_nav_bar(b.text):
        return False
    if b.text[0].islower():
        return True
    if not sentence_follows or _heading_sized(b.text):
        return False
    cut = a.text[-1] in ",-\u2013\u2014/&+(" or _last_word(a.text) in FUNCTION_WORDS
    return cut or _fills_width(a, width)


def _heading_sized(text: str) -> bool:
    """A short capitalised line without a full stop reads as the next heading ("Getting Help")."""
    return text[0].isupper() and len(text.split()) <= MIN_WRAPPED_WORDS and text[-1] not in ".!?,-"


def _fills_width(a: Line, width: int) -> bool:
    """A prose line broken at the wrap width: as long as the run's longest lines, several words,
    and prose rather than a table row (a comma or sentence inside, or a lower-case last word)."""
    text = a.text
    if width < MIN_WRAP_WIDTH or len(text) < WRAP_FILL * width or len(text.split()) < MIN_WRAPPED_WORDS:
        return False
    return "," in text or ". " in text or text.split()[-1][0].islower()


def join_wrapped(text: str, lines: list[Line]) -> list[Line]:
    """Physical lines -> logical lines: each run of hard-wrapped lines becomes one Line spanning
    them (its `text` the document's slice, line breaks included)."""
    if not lines:
        return []
    width = _run_widths(lines)
    ends = _sentence_follows(lines)
    out = [lines[0]]
    for i in range(1, len(lines)):
        line = lines[i]
        prev = out[-1]
        if _continues(lines[i - 1], line, width[i - 1], ends[i]):
            out[-1] = Line(prev.start, line.end, text[prev.start : line.end], prev.gap_before)
        else:
            out.append(line)
    return out


def _sentence_follows(lines: list[Line]) -> list[bool]:
    """For each line: it, or a later line of its run, ends with sentence punctuation."""
    out = [False] * len(lines)
    follows = False
    for i in range(len(lines) - 1, -1, -1):
        same_run = i + 1 < len(lines) and not lines[i + 1].gap_before
        follows = lines[i].text[-1] in ".!?" or (follows and same_run)
        out[i] = follows
    return out


def _run_widths(lines: list[Line]) -> list[int]:
    """For each line, the length of the longest line of its run (lines with no blank between)."""
    widths = [0] * len(lines)
    i = 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and not lines[j].gap_before:
            j += 1
        longest = max(len(line.text) for line in lines[i:j])
        widths[i:j] = [longest] * (j - i)
        i = j
    return widths


def is_nav_bar(text: str) -> bool:
    if text.startswith("|") or _BYLINE_WORDS.search(text):  # a Markdown table row, a byline
        return False
    items = _NAV_SEPARATOR.split(text)
    return len(items) >= 3 and all(
        0 < len(item.split()) <= MAX_NAV_ITEM_WORDS and item[-1] not in ".!?" for item in items
    )
