"""Word documents (.docx), read by python-docx, as Markdown-like text.

python-docx (MIT) gives the body in reading order with each paragraph's style, so headings
("Title", "Heading 1".."Heading 6") become `#` lines, list paragraphs (a "List" style or Word
numbering) `- ` items, and tables `|` rows under a header row; the core properties give title,
author and last modification. mammoth (BSD) converts to HTML instead, which would then need its
own conversion to text."""

from __future__ import annotations

import io
import re
import zipfile

from indexer.errors import ConversionError
from indexer.formats.base import Converted

_HEADING_STYLE = re.compile(r"^heading\s+(\d)$", re.IGNORECASE)


def docx_to_text(raw: bytes) -> Converted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ConversionError(f"unreadable: not a Word document ({exc})") from exc
    blocks: list[list[str]] = []  # each block: lines printed without blank lines between them
    previous_kind = ""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.append(_table_lines(item))
            previous_kind = "table"
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        kind, line = _paragraph_line(item, text)
        if kind == "item" and previous_kind == "item":
            blocks[-1].append(line)
        else:
            blocks.append([line])
        previous_kind = kind
    body = "\n\n".join("\n".join(lines) for lines in blocks if lines)
    if not body.strip():
        raise ConversionError("empty (no text in the Word document)")
    props = document.core_properties
    found = {
        "title": props.title,
        "owner": props.author,
        "updated": props.modified.date().isoformat() if props.modified else None,
    }
    return Converted(body + "\n", "docx", {k: str(v) for k, v in found.items() if v})


def _paragraph_line(paragraph: object, text: str) -> tuple[str, str]:
    style = (getattr(paragraph.style, "name", "") or "").strip()  # type: ignore[attr-defined]
    if style.lower() == "title":
        return "heading", "# " + text
    if (m := _HEADING_STYLE.match(style)) is not None:
        return "heading", "#" * int(m.group(1)) + " " + text
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None  # type: ignore[attr-defined]
    if style.lower().startswith("list") or numbered:
        return "item", "- " + text
    if _bold_label(paragraph, text):
        # A short paragraph set in bold is how many documents mark a heading without its style.
        return "heading", "### " + text
    return "para", text


MAX_BOLD_HEADING_WORDS = 12


def _bold_label(paragraph: object, text: str) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]  # type: ignore[attr-defined]
    return (
        bool(runs)
        and all(r.bold for r in runs)
        and len(text.split()) <= MAX_BOLD_HEADING_WORDS
        and text[-1] not in ".,;"
    )


def _table_lines(table: object) -> list[str]:
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells = [" ".join(cell.text.split()).replace("|", "/") for cell in row.cells]
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    if len(rows) > 1:
        rows.insert(1, "| " + " | ".join("---" for _ in range(rows[0].count(" | ") + 1)) + " |")
    return rows
