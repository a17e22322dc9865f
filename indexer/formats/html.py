"""HTML pages: the main content, as Markdown-like text, by trafilatura.

trafilatura (Apache-2.0) finds the main content of a page and drops navigation, cookie banners,
comment sections, sidebars and footers, keeping headings, lists and tables as Markdown; it also
reads the page's title, author, date and canonical URL. readability-lxml finds the main content
too but returns HTML that would still need converting, and own rules over a parser (selectolax)
would re-implement what trafilatura maintains. A page too small for its main-content heuristics
falls back to trafilatura's baseline extraction (the page's paragraphs)."""

from __future__ import annotations

import re
from configparser import ConfigParser

from indexer.errors import ConversionError
from indexer.formats.base import Converted

# trafilatura marks bold and italic text the Markdown way; answers are read as plain text.
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")


def _config() -> ConfigParser:
    """trafilatura's settings without its minimum sizes (used only when the defaults find
    nothing: with them, its first pass also drops headings)."""
    from trafilatura.settings import use_config

    config = use_config()
    for key in ("MIN_EXTRACTED_SIZE", "MIN_OUTPUT_SIZE", "MIN_EXTRACTED_COMM_SIZE", "MIN_OUTPUT_COMM_SIZE"):
        config.set("DEFAULT", key, "1")
    return config


def html_to_text(page: str) -> Converted:
    import trafilatura

    options = {
        "output_format": "markdown",
        "include_tables": True,
        "include_comments": False,
        "include_links": False,
        "include_images": False,
        "include_formatting": True,
        "favor_recall": True,
    }
    text = trafilatura.extract(page, **options)  # type: ignore[arg-type]
    if not text or not text.strip() or ("\n" in text.strip() and "\n\n" not in text):
        # Nothing, or the bare text nodes of its last-resort fallback (one per line, no blank line
        # between blocks, "from\n11:30\nto"): the page is below trafilatura's minimum sizes. A short
        # intranet page is still a page: extract again without them.
        text = trafilatura.extract(page, config=_config(), **options)  # type: ignore[arg-type]
    if not text or not text.strip():
        _, text, _ = trafilatura.baseline(page)
    if not text or not text.strip():
        raise ConversionError("empty (no text in the HTML page)")
    # Table rows come with a trailing space after their last '|'.
    text = "\n".join(_EMPHASIS.sub(_unmarked, line.rstrip()) for line in text.splitlines()) + "\n"
    return Converted(text, "html", _metadata(trafilatura, page))


def _unmarked(match: re.Match[str]) -> str:
    return match.group(2) if match.group(2) is not None else match.group(3)


def _metadata(trafilatura: object, page: str) -> dict[str, str]:
    """Title, author, canonical URL (trafilatura), and the date the page declares it was
    modified or published. trafilatura's own date is a guess from anywhere in the page (it read
    "Last updated 2025-02-10" as 2025-02-01), so only a declared one is kept."""
    found = trafilatura.extract_metadata(page)  # type: ignore[attr-defined]
    pairs = {"title": found.title, "owner": found.author, "url": found.url} if found is not None else {}
    pairs["updated"] = _declared_date(page)
    return {k: str(v) for k, v in pairs.items() if v}


_DATE_META = re.compile(
    r"""<meta\s[^>]*(?:name|property|itemprop)=["'](?:article:modified_time|last-modified|dcterms\.modified|"""
    r"""dateModified|article:published_time|date|dc\.date|dcterms\.date|datePublished)["'][^>]*>""",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"""content=["'](\d{4}-\d{2}-\d{2})""", re.IGNORECASE)
_TIME = re.compile(r"""<time\s[^>]*datetime=["'](\d{4}-\d{2}-\d{2})""", re.IGNORECASE)


def _declared_date(page: str) -> str | None:
    """The first ISO date of a date <meta> tag (modification first) or of a <time datetime>."""
    tags = sorted(_DATE_META.findall(page), key=lambda tag: "modified" not in tag.lower())
    for tag in tags:
        if (m := _CONTENT.search(tag)) is not None:
            return m.group(1)
    m = _TIME.search(page)
    return m.group(1) if m else None
