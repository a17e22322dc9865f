"""Recover an article's structure from cleaned lines: title, headings and their path, paragraphs,
bullet/numbered lists with their lead-in line, flattened table rows, and FAQ question -> answer
pairs. Works on plain text scraped from the web (headings are short unpunctuated lines) and on
Markdown (`#` headings, `|` tables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from indexer.cleaning import BULLET, MD_TABLE_RULE, Line, flat
from indexer.models import Block, BlockKind, Span, Unit, UnitKind
from indexer.sentences import split_sentences
from indexer.text import FUNCTION_WORDS, normalize

_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_MD_TABLE_ROW = re.compile(r"^\|.*\|$")
_TERMINAL = ".!?:;,\"'\u201d"
MAX_ROW_WORDS = 30
MAX_HEADING_WORDS = 12
MAX_QUESTION_WORDS = 30
MIN_TABLE_ROWS = 3
TEXT_HEADING_LEVEL = 2
_LIST_LIKE = {"item": (BlockKind.LIST, UnitKind.ITEM), "row": (BlockKind.TABLE, UnitKind.ROW)}


@dataclass(frozen=True)
class _Tagged:
    line: Line
    tag: str  # title | heading | question | item | row | para
    level: int = 0
    content_start: int = 0  # where the text starts after a bullet or '#' marker
    header: bool = False  # a table row marked as the header (by a Markdown |---| rule under it)


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", normalize(text).lower()))


# Bylines and date lines ("By Jane Doe", "Published March 14, 2023") are metadata, not headings.
_META_LINE = re.compile(
    r"^(?:(?:written\s+|posted\s+|words\s+|prepared\s+|compiled\s+|approved\s+|authored\s+)?by[\s:]|"
    r"(?:first\s+)?published\b|"
    r"(?:last\s+)?(?:updated|reviewed|edited|modified)\b|posted\s+on\b)|\bmin(?:ute)?s?\s+read\b",
    re.IGNORECASE,
)


def _heading_like(text: str) -> bool:
    if _META_LINE.search(text):
        return False
    words = text.split()
    if not words or len(words) > MAX_HEADING_WORDS or len(text) > 100:
        return False
    if text[-1] in _TERMINAL or not (text[0].isupper() or text[0].isdigit()):
        return False
    return words[-1].lower() not in FUNCTION_WORDS


# "2.1 Who qualifies": a section number; each of its parts is one level down ("2. Eligibility").
_SECTION_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s")


def _text_heading_level(text: str) -> int:
    """Plain text has no heading markup; a numbered heading says its depth ("2.1" under "2.")."""
    m = _SECTION_NUMBER.match(text)
    return TEXT_HEADING_LEVEL + (m.group(1).count(".") if m else 0)


def _numbered_heading(lines: list[Line], i: int) -> bool:
    """A numbered line standing alone ("2. Eligibility") is a section heading, not a list item:
    neither the line before it (an item, or a lead-in ending with ':') nor the one after it (an
    item) belongs to a list."""
    text = lines[i].text
    m = BULLET.match(text)
    if m is None or not text[0].isdigit() or not _heading_like(text[m.end() :]):
        return False
    before = i > 0 and (BULLET.match(lines[i - 1].text) is not None or lines[i - 1].text.endswith(":"))
    after = i + 1 < len(lines) and BULLET.match(lines[i + 1].text) is not None
    return not before and not after


def _colon_heading(lines: list[Line], i: int) -> bool:
    """A short line ending with ':' ("Geography:"), then a blank line and prose: a heading.
    (Followed directly by items, such a line introduces a list.)"""
    text = lines[i].text
    if not text.endswith(":") or not _heading_like(text[:-1]) or i + 1 >= len(lines):
        return False
    following = lines[i + 1]
    return following.gap_before and BULLET.match(following.text) is None


def _row_like(text: str) -> bool:
    """A flattened table row: like a heading, but cells can make it longer."""
    words = text.split()
    return (
        0 < len(words) <= MAX_ROW_WORDS
        and text[-1] not in _TERMINAL
        and (text[0].isupper() or text[0].isdigit())
        and words[-1].lower() not in FUNCTION_WORDS
    )


def _question_like(text: str) -> bool:
    return text.endswith("?") and len(text.split()) <= MAX_QUESTION_WORDS and text[0].isupper()


def _tag_lines(lines: list[Line], title: str | None) -> list[_Tagged]:
    title_key = _key(title) if title else None
    tagged: list[_Tagged] = []
    for i, line in enumerate(lines):
        # Markdown emphasis around a line ("**Why do leaves yellow?**") does not change its role.
        text = line.text.strip("*_") or line.text
        emphasis = line.text.index(text[0])
        has_next = i + 1 < len(lines)
        if (m := _MD_HEADING.match(text)) is not None:
            level = len(m.group(1))
            tag = "title" if level == 1 and not any(t.tag == "title" for t in tagged) else "heading"
            tagged.append(_Tagged(line, tag, level, line.start + m.end()))
        elif title_key is not None and _key(text) == title_key:
            tagged.append(_Tagged(line, "title", 1, line.start))
        elif _numbered_heading(lines, i):
            tagged.append(_Tagged(line, "heading", _text_heading_level(text), line.start))
        elif (m := BULLET.match(text)) is not None:
            tagged.append(_Tagged(line, "item", 0, line.start + m.end()))
        elif _MD_TABLE_ROW.match(text):
            if not MD_TABLE_RULE.match(text):
                tagged.append(_Tagged(line, "row", 0, line.start))
            elif tagged and tagged[-1].tag == "row":  # the row above the |---| rule is the header
                tagged[-1] = replace(tagged[-1], header=True)
        elif _question_like(text) and has_next and not _question_like(lines[i + 1].text.strip("*_")):
            tagged.append(_Tagged(line, "question", 0, line.start + emphasis))
        elif _heading_like(text) or _colon_heading(lines, i):
            tagged.append(_Tagged(line, "heading", _text_heading_level(text), line.start + emphasis))
        elif _row_like(text) and (
            not line.gap_before and tagged and tagged[-1].tag in ("heading", "row_candidate")
        ):
            tagged.append(_Tagged(line, "row_candidate", 0, line.start))
        else:
            tagged.append(_Tagged(line, "para", 0, line.start))
    if title_key is None and tagged and tagged[0].tag in ("heading", "question"):
        tagged[0] = _Tagged(tagged[0].line, "title", 1, tagged[0].content_start)
    return _find_tables(tagged)


def _find_tables(tagged: list[_Tagged]) -> list[_Tagged]:
    """Runs of >= 3 heading-like lines with no blank line between them are a flattened table."""
    out = list(tagged)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and _table_line(out[j]) and (j == i or not out[j].line.gap_before):
            j += 1
        if j - i >= MIN_TABLE_ROWS:
            if _header_above(out, i):
                i -= 1  # a header row ending in "for" ("Protein content Best for") reads as prose
            for k in range(i, j):
                out[k] = _Tagged(out[k].line, "row", 0, out[k].line.start)
            i = j
        else:
            i += 1
    # A long unpunctuated line that did not join a table is prose.
    return [_Tagged(t.line, "para", 0, t.line.start) if t.tag == "row_candidate" else t for t in out]


def _header_above(tagged: list[_Tagged], first: int) -> bool:
    """The line right above a flattened table, with no blank line between, is its header row
    when it reads like one (short, no sentence end) even though it ends in a function word."""
    if first == 0 or tagged[first].line.gap_before or tagged[first - 1].tag != "para":
        return False
    text = tagged[first - 1].line.text
    words = text.split()
    return (
        0 < len(words) <= MAX_ROW_WORDS and text[-1] not in _TERMINAL and words[-1].lower() in FUNCTION_WORDS
    )


def _table_line(t: _Tagged) -> bool:
    plain_heading = t.tag == "heading" and t.content_start == t.line.start  # not a '#' heading
    return plain_heading or t.tag == "row_candidate"


def title_from_lines(lines: list[Line]) -> str | None:
    """The first line, when it reads like a title; used when the catalog gives none."""
    content = [line for line in lines if not line.is_noise]
    if not content:
        return None
    first = flat(content[0].text)
    if (m := _MD_HEADING.match(first)) is not None:
        return first[m.end() :].strip()
    return first if _heading_like(first) or _question_like(first) else None


def parse_blocks(text: str, lines: list[Line], title: str | None) -> list[Block]:
    """Blocks of the document in reading order, each with the heading path it sits under."""
    content = [line for line in lines if not line.is_noise]
    tagged = _tag_lines(content, title)
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []  # (level, heading text)
    section_level = 1
    i = 0
    while i < len(tagged):
        t = tagged[i]
        if t.tag == "title":
            path = []  # what stood above the title (a site name, a menu) heads nothing after it
            i += 1
        elif t.tag in ("heading", "question"):
            heading = flat(text[t.content_start : t.line.end]).rstrip("*_: ")
            if t.tag == "question":
                # FAQ questions nest under the last ordinary heading ("Frequently Asked Questions").
                level = section_level + 1
                path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
                kind = BlockKind.QUESTION
            else:
                level = section_level = t.level
                path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading)]
                kind = BlockKind.HEADING
            blocks.append(Block(kind, t.content_start, t.line.end, level=level, heading_path=_names(path)))
            i += 1
        elif t.tag in _LIST_LIKE:
            # Bullet items and table rows: one block of consecutive lines, with its lead-in.
            kind, unit_kind = _LIST_LIKE[t.tag]
            j = i
            while j < len(tagged) and tagged[j].tag == t.tag:
                j += 1
            units = tuple(Unit(x.content_start, x.line.end, unit_kind) for x in tagged[i:j])
            lead_in = _lead_in(blocks, i, tagged)
            if kind is BlockKind.TABLE and len(units) > 1 and _is_header(t):
                # A row means little without the header naming its columns: the header row is the
                # rows' lead-in (the sentence introducing the table only dilutes it) and no answer.
                header, units = units[0], units[1:]
                lead_in = Span(header.start, header.end)
            blocks.append(
                Block(kind, units[0].start, units[-1].end, units, heading_path=_names(path), lead_in=lead_in)
            )
            i = j
        else:
            # Soft-wrapped prose: a line that does not end a sentence continues on the next line.
            j = i + 1
            while (
                j < len(tagged)
                and tagged[j].tag == "para"
                and not tagged[j].line.gap_before
                and tagged[j - 1].line.text[-1] not in ".!?:"
            ):
                j += 1
            start, end = t.line.start, tagged[j - 1].line.end
            units = tuple(Unit(s.start, s.end, UnitKind.SENTENCE) for s in split_sentences(text, start, end))
            blocks.append(Block(BlockKind.PARAGRAPH, start, end, units, heading_path=_names(path)))
            i = j
    return blocks


def _is_header(first_row: _Tagged) -> bool:
    """Markdown marks its header row; in a flattened table, a first row of labels only (no
    figures, no commas) is taken for one."""
    if first_row.header:
        return True
    text = first_row.line.text
    return not text.startswith("|") and not re.search(r"[\d,;%$\u20ac\u00a3]", text)


def _lead_in(blocks: list[Block], i: int, tagged: list[_Tagged]) -> Span | None:
    """The paragraph right before a list or table introduces it when it ends with ':'."""
    if i == 0 or not blocks or tagged[i - 1].tag != "para":
        return None
    previous = blocks[-1]
    if previous.kind is BlockKind.PARAGRAPH and previous.units:
        last = previous.units[-1]
        if tagged[i - 1].line.text.endswith(":"):
            return Span(last.start, last.end)
    return None


def _names(path: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(h for _, h in path)
