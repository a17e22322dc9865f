"""Generic cleaning of scraped articles.

Cleaning never edits the text: it classifies each line as content or noise (with the reason), so
that every offset the index keeps still points into the original file. The rules are about the
shape of web pages, not about any particular article:

- chrome: share buttons, lone counters and symbols, comment-form prompts, call-to-action and
  tracking lines, menu words, navigation bars ("Home | Blog | Contact"), cookie banners,
  copyright footers, and "Related posts" blocks with the titles they list;
- repeats: a line repeated right after itself (a title printed twice), runs of two or more
  lines that occur again elsewhere in the same document (ad blocks, promo banners), and long
  sentence lines printed twice (a one-line promo);
- fragments: short lines that start in lower case, and lines cut off after a function word
  (truncated paragraphs, split-up banner text);
- islands: a line whose neighbours on both sides are noise is noise too (the one sentence left
  inside an ad block or a comment form), so is a short run of menu-sized lines between noise
  ("Menu / Residents / Business / Search"), and so is a short stray last line after noise.

Before any of this, hard-wrapped lines are joined (`join_wrapped`): a line that ends mid-sentence
and the line that continues it are one line, so a sentence wrapped after "for" or "is" (plain-text
exports, PDF extraction, wrapped Markdown) is judged whole and never taken for a truncated one.
A joined line spans several physical lines; its `text` is still the document's own slice.
"""

from __future__ import annotations

import re
from collections import defaultdict

from indexer.lines import BULLET, NO_LETTERS, Line, flat, is_nav_bar, join_wrapped, split_lines
from indexer.text import FUNCTION_WORDS, normalize

__all__ = ["BULLET", "MD_TABLE_RULE", "NOISE_REASONS", "Line", "clean_lines", "flat", "split_lines"]

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
      | (?:menu|search|home|close|cart|navigation|toggle\s+navigation|skip\s+to\s+(?:main\s+)?content|
         back\s+to\s+top|(?:log|sign)\s*(?:in|out|up)|my\s+account)
      | \d+\s+(?:comments?|responses?|replies|shares?|likes?)
      | (?:\u00a9|\(c\)|copyright\b).*
      | (?:was|is)\s+this\s+(?:article|page|answer|information)\s+helpful\b.*
      | this\s+page\s+was\s+last\s+(?:edited|updated|modified)\b.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_COOKIES = re.compile(
    r"\b(?:(?:we|this\s+(?:web)?site|our\s+(?:web)?site|the\s+site)\s+uses?\s+cookies|use\s+of\s+cookies|"
    r"cookie\s+(?:policy|settings|preferences|consent))\b",
    re.IGNORECASE,
)
# A block of links to other articles or sections, or of references: the header, then the titles
# (or citations) listed under it.
_RELATED = re.compile(
    r"^[#*\s]*(?:related(?:\s+(?:posts|articles|stories|reading|content|guides))?|you\s+(?:may|might)\s+also\s+"
    r"(?:like|enjoy)|more\s+(?:from\s+\w+(?:\s+\w+)?|articles|stories|posts)|read\s+(?:next|more)|"
    r"recommended(?:\s+(?:for\s+you|reading|posts|articles))?|popular\s+(?:posts|articles)|"
    r"(?:table\s+of\s+)?contents|on\s+this\s+page|in\s+this\s+(?:article|guide)|jump\s+to|see\s+also|"
    r"references|bibliography|sources|further\s+reading|external\s+links|footnotes|citations)[\s:*]*$",
    re.IGNORECASE,
)
MD_TABLE_RULE = re.compile(r"^\|[\s:|-]+\|$")
# A table row of figures ("| 2 | 40 |"): data, though it has no letters.
MD_NUMBER_ROW = re.compile(r"^\|.*\d.*\|\s*$")
_MARKUP = re.compile(r"^(?:#{1,6}\s+|>\s*)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# "[9] Hughes, T. P. et al. (2017). ...": an entry of a reference list.
_CITATION = re.compile(r"^\[\d{1,3}\]\s+\S")
# "Written by Priya Nair · Updated 9 September 2024": a byline, not a menu.
MAX_TITLE_WORDS = 12
MAX_MENU_RUN = 6
MIN_REPEATED_SENTENCE_WORDS = 8
_LEADING_DATE = re.compile(
    r"^(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2})\s*"
)


# Every reason a line can be dropped for; `kbqa index` reports the characters each removed.
NOISE_REASONS = frozenset(
    {
        "chrome:no-letters",
        "chrome:ui",
        "chrome:nav",
        "chrome:cookies",
        "chrome:citation",
        "chrome:related",
        "fragment",
        "truncated",
        "repeat:adjacent",
        "repeat:block",
        "repeat:line",
        "island",
    }
)


def _key(text: str) -> str:
    return " ".join(normalize(text).lower().split())


def _plain(text: str) -> str:
    """The line without Markdown heading, quote and emphasis markers ("## Leave a Reply")."""
    return _MD_LINK.sub(r"\1", _MARKUP.sub("", text)).strip("*_ ") or text


def _chrome_reason(line: Line) -> str | None:
    text = line.text
    if NO_LETTERS.match(text) and not MD_TABLE_RULE.match(text) and not MD_NUMBER_ROW.match(text):
        return "chrome:no-letters"  # "|---|" marks a table header; "| 2 | 40 |" is a row of figures
    if _CHROME.match(_plain(text)):
        return "chrome:ui"
    if is_nav_bar(text):
        return "chrome:nav"
    if _COOKIES.search(text):
        return "chrome:cookies"
    if _CITATION.match(text):
        return "chrome:citation"
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


MIN_TABLE_RUN = 3
MAX_ROW_WORDS = 30


def _table_run_heads(lines: list[Line]) -> set[int]:
    """The first line of each flattened table: a run of 3+ lines with no blank line between,
    none ending a sentence. Its header row may end in "for" ("Flour type | Best for") without
    being a paragraph cut short."""
    heads: set[int] = set()
    i = 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and not lines[j].gap_before:
            j += 1
        run = lines[i:j]
        if len(run) >= MIN_TABLE_RUN and all(
            line.text[-1] not in ".!?" and len(line.text.split()) <= MAX_ROW_WORDS for line in run
        ):
            heads.add(i)
        i = j
    return heads


def _related_reasons(lines: list[Line]) -> dict[int, str]:
    """A "Related posts" header and the run of title lines right under it."""
    reasons: dict[int, str] = {}
    for i, line in enumerate(lines):
        if not _RELATED.match(line.text):
            continue
        reasons[i] = "chrome:related"
        j = i + 1
        while j < len(lines) and _title_line(lines[j].text) and (j == i + 1 or not lines[j].gap_before):
            reasons[j] = "chrome:related"
            j += 1
    return reasons


def _title_line(text: str) -> bool:
    """An article title or a bulleted link to one (short, and no sentence), or a citation."""
    text = BULLET.sub("", text)
    return bool(_CITATION.match(text)) or (
        0 < len(text.split()) <= MAX_TITLE_WORDS and text[-1] not in ".!?:;,"
    )


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
    # A long sentence line printed twice is a one-line promo; repeated headings stay.
    seen: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if len(key.split()) >= MIN_REPEATED_SENTENCE_WORDS and key[-1] in ".!?*":
            seen[key].append(i)
    for positions in seen.values():
        if len(positions) > 1:
            for i in positions:
                reasons.setdefault(i, "repeat:line")
    return reasons


def _overlapping(starts: list[int]) -> bool:
    # "a a a" yields the pair (a, a) at 0 and 1: that is one repeated line, not a repeated block.
    return any(b - a < 2 for a, b in zip(starts, starts[1:], strict=False))


def _title_position(lines: list[Line], reasons: dict[int, str]) -> int:
    """The first content line that reads like a title: kept even when menus and share buttons
    surround it."""
    for i, line in enumerate(lines):
        text = _plain(line.text)
        if i not in reasons and len(text.split()) >= 3 and text[0].isupper() and text[-1] not in ".!,;":
            return i
    return -1


def _menu_runs(lines: list[Line], reasons: dict[int, str]) -> list[int]:
    """Runs of up to MAX_MENU_RUN menu-sized lines (three words at most, no punctuation) with
    noise on both sides: the entries of a navigation menu."""
    out: list[int] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and j not in reasons and _menu_sized(lines[j].text):
            j += 1
        if j > i + 1 and j - i <= MAX_MENU_RUN and i > 0 and (i - 1) in reasons and j in reasons:
            out.extend(range(i, j))
        i = max(j, i + 1)
    return out


def _menu_sized(text: str) -> bool:
    return len(text.split()) <= 3 and text[-1] not in ".!?:;,"


def _stray(text: str) -> bool:
    """A last line after noise is noise too when it is no sentence (a stray byline or label)."""
    return len(text.split()) <= 4 and text[-1] not in ".!?"


def clean_lines(text: str) -> list[Line]:
    """All non-blank lines of `text` (hard-wrapped lines joined), each marked as content or noise."""
    logical = join_wrapped(text, split_lines(text))
    lines = [Line(line.start, line.end, flat(line.text), line.gap_before) for line in logical]
    reasons: dict[int, str] = {}
    table = _table_run_heads(lines)
    for i, line in enumerate(lines):
        if (reason := _chrome_reason(line)) is not None and not (i in table and reason == "truncated"):
            reasons[i] = reason
    for i, reason in _repeat_reasons(lines).items():
        reasons.setdefault(i, reason)
    for i, reason in _related_reasons(lines).items():
        reasons.setdefault(i, reason)
    for i in _menu_runs(lines, reasons):
        reasons[i] = "island"
    # Adjacent repeats are transparent for the island rule: a title printed twice is not an island.
    visible = [i for i in range(len(lines)) if reasons.get(i) != "repeat:adjacent"]
    title = _title_position(lines, reasons)
    islands = [
        i
        for k, i in enumerate(visible)
        if i not in reasons
        and i != title
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
    for i, line in enumerate(logical):
        line = _strip_leading_date(line) if i not in reasons else line
        out.append(Line(line.start, line.end, line.text, line.gap_before, reasons.get(i)))
    return out


def _strip_leading_date(line: Line) -> Line:
    """A publication date glued to the first words of a paragraph is metadata, not content."""
    match = _LEADING_DATE.match(line.text)
    if match is None or match.end() >= len(line.text) or len(line.text.split()) < 8:
        return line
    return Line(line.start + match.end(), line.end, line.text[match.end() :], line.gap_before)
