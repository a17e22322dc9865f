"""PDF files: the text layer, read by pypdf, laid out again as Markdown-like text.

pypdf (BSD) is pure Python and reports each run of text with its font size and position, which
is enough to rebuild what a reader sees: lines set larger than the body text are headings (the
largest `#`, the next `##`, ...), a vertical gap larger than the line spacing ends a paragraph,
lines of a paragraph are joined (a word hyphenated at a line end is mended), and page headers
and footers (small lines repeated at the top or bottom of pages, "Page 2 of 5") are dropped.
pdfplumber (MIT, on pdfminer.six) gives the same with more weight; PyMuPDF is AGPL, which an
intranet service should not have to take on. A PDF without a text layer (a scan) is reported,
never indexed empty."""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from indexer.errors import ConversionError
from indexer.formats.base import Converted

HEADING_RATIO = 1.15  # a line set this much larger than the body text is a heading
MAX_BOLD_HEADING_WORDS = 12
PARAGRAPH_GAP = 1.3  # a step this much larger than the usual line step starts a paragraph
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.IGNORECASE)


@dataclass
class _Line:
    page: int
    y: float
    size: float
    text: str
    bold: bool = False


def pdf_to_text(raw: bytes) -> Converted:
    import pypdf
    from pypdf.errors import PdfReadError

    # pypdf logs what it repairs ("EOF marker not found"); the report gives the reason once.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError("unreadable: the PDF is encrypted")
        lines = [line for number, page in enumerate(reader.pages) for line in _page_lines(number, page)]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ConversionError(f"unreadable: {exc}") from exc
    if not any(line.text.strip() for line in lines):
        raise ConversionError("no text layer (a scanned PDF?)")
    text = _layout(_without_page_furniture(lines, len(reader.pages)))
    meta: dict[str, object] = dict(reader.metadata or {})
    found = {"title": meta.get("/Title"), "owner": meta.get("/Author")}
    return Converted(text, "pdf", {k: str(v).strip() for k, v in found.items() if v and str(v).strip()})


def _page_lines(number: int, page: object) -> list[_Line]:
    """The page's text runs grouped into lines by their baseline, top to bottom."""
    runs: list[tuple[float, float, str, bool]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            bold = "bold" in str((font or {}).get("/BaseFont", "")).lower()
            runs.append((round(y, 1), abs(size * (tm[3] or tm[0] or 1)), text, bold))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    lines: list[_Line] = []
    for y, size, text, bold in runs:
        if lines and abs(lines[-1].y - y) < 1.0:
            lines[-1].text += text
            lines[-1].size = max(lines[-1].size, size)
            lines[-1].bold = lines[-1].bold and bold
        else:
            lines.append(_Line(number, y, size, text, bold))
    for line in lines:
        line.text = " ".join(line.text.split())
    return [line for line in lines if line.text]


def _without_page_furniture(lines: list[_Line], pages: int) -> list[_Line]:
    """Drop page numbers, and lines printed at the top or bottom of several pages (digits aside)."""
    edges: Counter[str] = Counter()
    by_page: dict[int, list[_Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    for page_lines in by_page.values():
        for line in {id(x): x for x in (page_lines[0], page_lines[-1])}.values():
            edges[re.sub(r"\d+", "#", line.text)] += 1
    repeated = {key for key, n in edges.items() if n >= 2 and pages >= 2}
    out = []
    for page_lines in by_page.values():
        for i, line in enumerate(page_lines):
            edge = i in (0, len(page_lines) - 1)
            key = re.sub(r"\d+", "#", line.text)
            if edge and (_PAGE_NUMBER.match(line.text) or key in repeated):
                continue
            out.append(line)
    return out


def _layout(lines: list[_Line]) -> str:
    """Headings by size, paragraphs by vertical gaps, wrapped lines joined."""
    if not lines:
        raise ConversionError("no text layer (a scanned PDF?)")
    body = Counter(round(line.size, 1) for line in lines for _ in line.text).most_common(1)[0][0]
    heading_sizes = sorted({round(x.size, 1) for x in lines if x.size > body * HEADING_RATIO}, reverse=True)
    steps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False) if a.page == b.page and a.y > b.y]
    step = statistics.median(steps) if steps else 0.0
    blocks: list[str] = []
    previous: _Line | None = None
    for line in lines:
        level = _heading_level(line, heading_sizes)
        heading = level > 0
        new_block = (
            previous is None
            or heading
            or _heading_level(previous, heading_sizes) > 0
            or (previous.page == line.page and previous.y - line.y > PARAGRAPH_GAP * step)
            # across a page break, a paragraph goes on unless the last page ended a sentence
            or (previous.page != line.page and previous.text[-1] in ".!?:")
        )
        if heading:
            blocks.append("#" * level + " " + line.text)
        elif new_block:
            blocks.append(line.text)
        else:
            blocks[-1] = _join(blocks[-1], line.text)
        previous = line
    return "\n\n".join(blocks) + "\n"


def _heading_level(line: _Line, heading_sizes: list[float]) -> int:
    """1 for the largest type, 2 for the next...; a short bold line at body size ("Eligibility")
    is a heading below those; 0: not a heading."""
    size = round(line.size, 1)
    if size in heading_sizes:
        return heading_sizes.index(size) + 1
    if line.bold and len(line.text.split()) <= MAX_BOLD_HEADING_WORDS and line.text[-1] not in ".,;":
        return len(heading_sizes) + 1
    return 0


def _join(before: str, after: str) -> str:
    """One paragraph's lines on one line; "break-\\nfast" is mended to "breakfast"."""
    if re.search(r"[a-z]-$", before) and after[:1].islower():
        return before[:-1] + after
    return before + " " + after
