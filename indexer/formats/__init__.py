"""Turning a corpus file into its one canonical text.

Every format becomes Markdown-like text (headings as `#`, list items as `- `, tables as `|` rows)
that the structure parser reads like any Markdown page; that text is what `/documents/{id}`
returns and what every offset points into. `.txt` and `.md` files are their own canonical text,
except an HTML page saved as `.txt`, which is converted like any HTML page. The libraries are
imported only when a file of their format is read.
"""

from __future__ import annotations

import re

from indexer.errors import ConversionError
from indexer.formats.base import Converted

# suffix -> format name
FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}


def format_of(suffix: str) -> str | None:
    return FORMATS.get(suffix.lower())


# A text file that is really an HTML page: it opens with a tag and closes block elements.
_HTML_START = re.compile(
    r"^\s*(?:<!doctype\s+html|<html\b|<head\b|<body\b|<(?:div|p|h[1-6]|article|section)\b)", re.I
)
_BLOCK_CLOSE = re.compile(r"</(?:p|div|h[1-6]|li|ul|ol|table|tr|td|body|html|article|section)>", re.I)
MIN_BLOCK_TAGS = 3


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text)) and len(_BLOCK_CLOSE.findall(text, 0, 20000)) >= MIN_BLOCK_TAGS


def decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def convert(fmt: str, raw: bytes) -> Converted:
    """The canonical text of a file of format `fmt`; raises ConversionError with the reason when
    there is none (no text layer, unreadable, no content)."""
    if fmt == "pdf":
        from indexer.formats.pdf import pdf_to_text

        return pdf_to_text(raw)
    if fmt == "docx":
        from indexer.formats.docx import docx_to_text

        return docx_to_text(raw)
    text = decode_text(raw)
    if fmt == "html" or looks_like_html(text):
        from indexer.formats.html import html_to_text

        return html_to_text(text)
    if fmt not in ("txt", "md"):
        raise ConversionError(f"unsupported type ({fmt})")
    return Converted(text, fmt)


__all__ = [
    "FORMATS",
    "ConversionError",
    "Converted",
    "convert",
    "decode_text",
    "format_of",
    "looks_like_html",
]
