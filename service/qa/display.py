"""What a person should see of a verbatim span: answers and excerpts stay exact text with
offsets, and this module says how to show them. Markdown table rows become "column: value"
pairs (the columns come from the table's header row, found by the indexer's structure parser),
"Q:"/"A:" prefixes, list bullets and heading markers are dropped, Markdown emphasis, links and
inline code lose their syntax, and HTML character references become the characters they stand
for. Pure functions on strings and offsets.

The rendering is a list of pieces, each tied to the source range it came from, so a range of the
verbatim text (the answer inside its excerpt) maps onto the displayed text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.cleaning import BULLET, MD_TABLE_RULE, clean_lines, split_lines
from indexer.models import Block, BlockKind
from indexer.structure import parse_blocks

# A line's role markers: Markdown heading hashes, a quote mark, "Q:"/"A:" (also "Q." and
# "Question:"), and list bullets or numbers.
_PREFIX = re.compile(
    r"^(?:#{1,6}\s+|>\s*|(?:Q|A|Question|Answer)\s*[:.)]\s+|" + BULLET.pattern.lstrip("^") + r")",
    re.IGNORECASE,
)
_ROW = re.compile(r"^\|.*\|$")
# Inline markup, most specific first. Each alternative keeps one group: what is shown.
_INLINE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"
    r"|\[(?P<link>[^\]]+)\]\((?P<href>[^)\s]*)(?:\s+\"[^\"]*\")?\)"
    r"|(?P<strong_mark>\*\*|__)(?=\S)(?P<strong>.+?)(?<=\S)(?P=strong_mark)"
    r"|(?<![\w*])\*(?=[^\s*])(?P<em>[^*]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=[^\s_])(?P<em2>[^_]+?)(?<=\S)_(?![\w_])"
    r"|`(?P<code>[^`]+)`"
    r"|(?P<ref>&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,30});)"
)
ROW_SEPARATOR = "; "
CELL_SEPARATOR = " \u00b7 "


@dataclass(frozen=True)
class Piece:
    """Displayed text and the source range it stands for. `verbatim`: the text is exactly the
    source range (so offsets inside it map one to one); otherwise it is a label, a separator or a
    decoded character reference."""

    text: str
    start: int
    end: int
    verbatim: bool
    href: str | None = None  # the target of the Markdown link the text is in


@dataclass(frozen=True)
class Table:
    """A table of a document: its data rows lie in [start, end); `columns` are the cells of its
    header row, which lies in [header_start, header_end)."""

    start: int
    end: int
    header_start: int
    header_end: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Shown:
    """A span as displayed: the text, the table rows in it as (column, value) pairs, and where a
    marked source range (the answer) falls in the text, if it was given and shows at all."""

    text: str
    rows: tuple[tuple[tuple[str, str], ...], ...] = ()
    highlight: tuple[int, int] | None = None


def inline(text: str, start: int, end: int, href: str | None = None) -> list[Piece]:
    """The pieces of text[start:end] with inline Markdown removed and references decoded; the
    text of a link keeps its target in `href`."""
    pieces: list[Piece] = []
    pos = start
    for m in _INLINE.finditer(text, start, end):
        if m.start() > pos:
            pieces.append(Piece(text[pos : m.start()], pos, m.start(), True, href))
        group = next(
            g for g in ("alt", "link", "strong", "em", "em2", "code", "ref") if m.group(g) is not None
        )
        if group == "ref":
            decoded = html.unescape(m.group("ref"))
            pieces.append(Piece(decoded, m.start(), m.end(), decoded == m.group("ref"), href))
        elif group == "code":
            pieces.append(Piece(m.group("code"), m.start("code"), m.end("code"), True, href))
        else:
            target = m.group("href") if group == "link" else href
            pieces.extend(inline(text, m.start(group), m.end(group), target))
        pos = m.end()
    if pos < end:
        pieces.append(Piece(text[pos:end], pos, end, True, href))
    return pieces


def cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Source ranges of the (stripped) cells of a `| a | b |` row at text[start:end]."""
    bars = [start + i for i, ch in enumerate(text[start:end]) if ch == "|"]
    spans: list[tuple[int, int]] = []
    for left, right in zip(bars, bars[1:], strict=False):
        s, e = left + 1, right
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        spans.append((s, e))
    return spans


def plain(text: str, start: int, end: int) -> str:
    """The displayed text of a short range (a cell, a heading), without markup."""
    return "".join(p.text for p in inline(text, start, end)).strip()


def table_of(tables: Sequence[Table], pos: int) -> Table | None:
    return next((t for t in tables if t.header_start <= pos < t.end), None)


def _row(
    text: str, start: int, end: int, table: Table | None
) -> tuple[list[Piece], tuple[tuple[str, str], ...]]:
    """A table row's pieces ("column: value; column: value") and its pairs; a row without a known
    header is its cells joined."""
    spans = [s for s in cells(text, start, end)]
    columns = table.columns if table is not None else ()
    pieces: list[Piece] = []
    pairs: list[tuple[str, str]] = []
    for i, (s, e) in enumerate(spans):
        value = plain(text, s, e)
        if not value:
            continue
        column = columns[i] if i < len(columns) else ""
        if pieces:
            pieces.append(Piece(ROW_SEPARATOR if columns else CELL_SEPARATOR, s, s, False))
        if column:
            pieces.append(Piece(f"{column}: ", s, s, False))
        pieces.extend(inline(text, s, e))
        pairs.append((column, value))
    return pieces, tuple(pairs) if columns else ()


def _line(
    text: str, start: int, end: int, tables: Sequence[Table]
) -> tuple[list[Piece], tuple[tuple[str, str], ...], bool]:
    """One line's pieces, its table-row pairs, and whether it stands on a line of its own (a row,
    an item, a heading, a question or answer) rather than continuing wrapped prose."""
    line = text[start:end]
    if _ROW.match(line):
        if MD_TABLE_RULE.match(line):
            return [], (), True
        table = table_of(tables, start)
        if table is not None and table.header_start <= start < table.header_end:
            return [], (), True  # the header row: its names label every row below it
        pieces, pairs = _row(text, start, end, table)
        return pieces, pairs, True
    m = _PREFIX.match(line)
    content = start + (m.end() if m else 0)
    return inline(text, content, end), (), m is not None


def render(
    text: str, start: int, end: int, tables: Sequence[Table] = (), mark: tuple[int, int] | None = None
) -> Shown:
    """How text[start:end] is shown; `mark` (source offsets inside it) is located in the result."""
    pieces: list[Piece] = []
    rows: list[tuple[tuple[str, str], ...]] = []
    own_line = False
    for line in split_lines(text[start:end]):
        s, e = start + line.start, start + line.end
        line_pieces, pairs, structural = _line(text, s, e, tables)
        if not "".join(p.text for p in line_pieces).strip():
            own_line = own_line or structural
            continue
        if pairs:
            rows.append(pairs)
        if pieces:
            newline = structural or own_line or line.gap_before
            pieces.append(Piece("\n" if newline else " ", s, s, False))
        pieces.extend(line_pieces)
        own_line = structural
    shown = "".join(p.text for p in pieces)
    # Pieces are joined unstripped; the text is trimmed at the ends, so offsets shift by `lead`.
    lead = len(shown) - len(shown.lstrip())
    trimmed = shown.strip()
    highlight = None if mark is None else locate(pieces, mark)
    if highlight is not None:
        hs, he = (max(0, min(len(trimmed), x - lead)) for x in highlight)
        highlight = (hs, he) if he > hs else None
    return Shown(trimmed, tuple(rows), highlight)


def locate(pieces: Sequence[Piece], mark: tuple[int, int]) -> tuple[int, int] | None:
    """Where the source range `mark` falls in the text the pieces join into: from the first shown
    character inside it to the last (labels of cells inside it count; separators only between)."""
    ms, me = mark
    first: int | None = None
    last = 0
    pos = 0
    for p in pieces:
        size = len(p.text)
        if p.verbatim and p.start < me and p.end > ms and size:
            s = pos + max(0, ms - p.start)
            e = pos + size - max(0, p.end - me)
        elif not p.verbatim and p.text.strip() and (ms <= p.start < me or (p.start < me and p.end > ms)):
            s, e = pos, pos + size
        else:
            pos += size
            continue
        first = s if first is None else first
        last = max(last, e)
        pos += size
    return None if first is None else (first, last)


def document_blocks(text: str, title: str) -> list[Block]:
    """The document's structure as the indexer reads it (headings, lists, tables, FAQs)."""
    return parse_blocks(text, clean_lines(text), title or None)


def tables_of(text: str, blocks: Sequence[Block]) -> list[Table]:
    """The document's Markdown tables whose header row is known."""
    found: list[Table] = []
    for block in blocks:
        lead = block.lead_in
        if block.kind is BlockKind.TABLE and lead is not None and _ROW.match(text[lead.start : lead.end]):
            columns = tuple(plain(text, s, e) for s, e in cells(text, lead.start, lead.end))
            found.append(Table(block.start, block.end, lead.start, lead.end, columns))
    return found


def content_start(text: str, start: int, end: int) -> int:
    """Where a line's content starts after its heading hashes, bullet or "Q:"/"A:" marker."""
    m = _PREFIX.match(text[start:end])  # (`^` would not match at a `pos` inside the string)
    return start + m.end() if m else start


def section_label(section: Sequence[str]) -> str:
    """A heading path as a person reads it: "FAQ > Can I park here?", not "FAQ > Q: Can I park here?"."""
    return " > ".join(h[content_start(h, 0, len(h)) :] for h in section)
