"""Questions about a document rather than its content: "who wrote the article on X?". The
author comes from the corpus catalog (or a "By Jane Doe" byline) and is answered only where the
document's text names them, so the answer stays a verbatim, citable span. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.chunking import Candidate
from indexer.models import Chunk, Document

# "who wrote / authored / is the author of ...", "author of ...", "whose article ..."
_ASKS_AUTHOR = re.compile(
    r"^\s*(?:who\s+(?:wrote|writes|authored|penned|is\s+the\s+(?:author|writer)\s+of)"
    r"|(?:what\s+is\s+the\s+name\s+of\s+)?the\s+(?:author|writer)\s+of"
    r"|(?:author|writer)\s+of"
    r"|whose\s+(?:article|post|piece|blog|guide|page))\b",
    re.IGNORECASE,
)
# What follows the question word and names the document: "the article on", "the post about".
_DOCUMENT_WORDS = re.compile(
    r"^\s*(?:(?:the|this|that|an?)\s+)?"
    r"(?:(?:article|post|piece|blog\s+post|blog|guide|page|text|document)\s+)?"
    r"(?:(?:on|about|called|titled|named|regarding)\s+)?",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^[ \t]*(?i:by|author:|written\s+by)[ \t]+([A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){1,3})[ \t]*$", re.M
)


def author_topic(question: str) -> str | None:
    """For a question asking who wrote something, the part naming that something ("whether the
    CRO is a failed experiment"); None for any other question."""
    match = _ASKS_AUTHOR.match(question)
    if match is None:
        return None
    rest = question[match.end() :]
    return _DOCUMENT_WORDS.sub("", rest.strip(), count=1).strip(" ?.!")


def author_name(text: str, catalog_author: str | None) -> str | None:
    """The document's author: the catalog's, else a byline line in the text."""
    if catalog_author:
        return catalog_author
    byline = _BYLINE.search(text)
    return byline.group(1) if byline else None


def mentions(text: str, name: str) -> list[tuple[int, int]]:
    """Character spans where the text names `name` (whole words)."""
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?!\w)")
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def author_span(doc: Document, chunks: Sequence[Chunk]) -> Candidate | None:
    """Where the document's text names its author, as a candidate of the chunk holding it (the
    unit it starts in); None when the author is unknown or never named in the text."""
    name = author_name(doc.text, doc.meta.get("author"))
    for start, end in mentions(doc.text, name) if name else []:
        for chunk in chunks:
            if chunk.doc_id == doc.doc_id and chunk.start <= start and end <= chunk.end:
                last = len(chunk.units) - 1
                unit = next(i for i, u in enumerate(chunk.units) if start < u.end or i == last)
                return Candidate(chunk.chunk_id, unit, unit, start, end)
    return None
