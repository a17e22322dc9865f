"""The source view's article as HTML, rendered from the document's parsed structure (headings,
paragraphs, lists, tables, FAQ questions, links) with a cited range highlighted.

No document text is ever markup: every piece goes through html.escape, the only tags are the ones
written here, and a link is made only from a Markdown link whose target is an http(s) URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from indexer.cleaning import MD_TABLE_RULE, split_lines
from indexer.models import Block, BlockKind
from service.qa.display import Piece, Table, cells, content_start, inline, plain, table_of

CITED_ID = "kb-cited"
_MARKERS_ONLY = re.compile(r"^[#>*\-\s]*$")


class _Marker:
    """Escapes pieces of text, wrapping what lies inside the cited range in <mark>; the first
    mark carries the id the page scrolls to."""

    def __init__(self, cited: tuple[int, int] | None) -> None:
        self.cited = cited
        self.first = True

    def _mark(self, text: str) -> str:
        if not text:
            return ""
        attrs = f' id="{CITED_ID}" tabindex="-1" aria-label="Cited passage"' if self.first else ""
        self.first = False
        return f'<mark class="cited"{attrs}>{html.escape(text)}</mark>'

    def piece(self, p: Piece) -> str:
        out = self._inside(p)
        if p.href is not None and _web_url(p.href):
            return f'<a href="{html.escape(p.href, quote=True)}" rel="noopener noreferrer">{out}</a>'
        return out

    def _inside(self, p: Piece) -> str:
        if self.cited is None or p.end <= self.cited[0] or p.start >= self.cited[1]:
            return html.escape(p.text)
        s, e = self.cited
        if not p.verbatim:
            return self._mark(p.text)
        a, b = max(s, p.start) - p.start, min(e, p.end) - p.start
        return html.escape(p.text[:a]) + self._mark(p.text[a:b]) + html.escape(p.text[b:])

    def pieces(self, pieces: Sequence[Piece]) -> str:
        return "".join(self.piece(p) for p in pieces)


def _web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for line in split_lines(text[start:end]):
        yield start + line.start, start + line.end


def _inline_block(text: str, start: int, end: int, marker: _Marker) -> str:
    """A block's lines, each without its marker, joined by line breaks kept as spaces."""
    parts = [marker.pieces(inline(text, content_start(text, s, e), e)) for s, e in _lines(text, start, end)]
    return " ".join(p for p in parts if p)


def _table(text: str, block: Block, table: Table | None, marker: _Marker) -> str:
    head = ""
    if table is not None:
        names = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in table.columns)
        head = f"<thead><tr>{names}</tr></thead>"
    rows = []
    for unit in block.units:
        line = text[unit.start : unit.end]
        if line.startswith("|"):
            tds = "".join(
                f"<td>{marker.pieces(inline(text, s, e))}</td>" for s, e in cells(text, unit.start, unit.end)
            )
        else:  # a flattened table's row: one cell
            tds = f"<td>{marker.pieces(inline(text, unit.start, unit.end))}</td>"
        rows.append(f"<tr>{tds}</tr>")
    return f'<div class="table"><table>{head}<tbody>{"".join(rows)}</tbody></table></div>'


def _block(text: str, block: Block, tables: Sequence[Table], marker: _Marker) -> str:
    if block.kind is BlockKind.HEADING:
        level = min(6, max(2, block.level))
        return f"<h{level}>{_inline_block(text, block.start, block.end, marker)}</h{level}>"
    if block.kind is BlockKind.QUESTION:
        return f'<p class="question">{_inline_block(text, block.start, block.end, marker)}</p>'
    if block.kind is BlockKind.LIST:
        items = "".join(f"<li>{_inline_block(text, u.start, u.end, marker)}</li>" for u in block.units)
        return f"<ul>{items}</ul>"
    if block.kind is BlockKind.TABLE:
        return _table(text, block, table_of(tables, block.start), marker)
    return f"<p>{_inline_block(text, block.start, block.end, marker)}</p>"


def render_article(
    text: str,
    blocks: Sequence[Block],
    tables: Sequence[Table],
    cited: tuple[int, int] | None,
    title: str = "",
) -> str:
    """The whole document as HTML: its blocks in structure, and every line outside them (a title
    line, a line the cleaner set aside as page chrome) as a muted paragraph, so nothing of the text
    the offsets point into is hidden. Header rows of known tables and |---| rules are the tables';
    the title line is the page's heading (unless it is cited)."""
    marker = _Marker(cited)
    ordered = sorted(blocks, key=lambda b: b.start)
    headers = {(t.header_start, t.header_end) for t in tables}
    out: list[str] = []
    pos = 0
    for block in ordered:
        if block.start < pos:
            continue
        out.extend(_aside(text, pos, block.start, headers, marker, title))
        out.append(_block(text, block, tables, marker))
        pos = block.end
    out.extend(_aside(text, pos, len(text), headers, marker, title))
    return "\n".join(out)


def _aside(
    text: str, start: int, end: int, headers: set[tuple[int, int]], marker: _Marker, title: str
) -> Iterator[str]:
    for s, e in _lines(text, start, end):
        content = content_start(text, s, e)
        if (s, e) in headers or MD_TABLE_RULE.match(text[s:e]) or _MARKERS_ONLY.match(text[content:e]):
            continue  # a table's header or rule, or the marker of the block that follows ("## ")
        uncited = marker.cited is None or e <= marker.cited[0] or s >= marker.cited[1]
        if title and uncited and plain(text, content, e) == title.strip():
            continue
        yield f'<p class="aside">{marker.pieces(inline(text, content, e))}</p>'
