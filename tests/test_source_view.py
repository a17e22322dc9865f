"""The source view's article (service/api/source_view.py): structure rendered from the parsed
document, the cited range highlighted, and no document text ever becoming markup."""

from __future__ import annotations

import html
import re

from service.api.source_view import render_article
from service.qa.display import document_blocks, tables_of

DOC = """# Desk Guide

## Booking

Book a desk in the [planner](https://intranet.example/desks) before **noon**.

| Floor | Desks |
|---|---|
| Second | Forty |
| Third | Twenty-five |

- Bring your badge.
- Clean the desk.

Q: Can I book for a guest?
A: Yes, under Guest desks.
"""

HOSTILE = """Expense Policy

Reports <script>alert(1)</script> are due <img src=x onerror=alert(2)> monthly.
See [the guide](javascript:alert(3)) and [ok](https://example.com/x?a=1&b="2").
| <b>x</b> | y |
|---|---|
| <svg onload=alert(4)> | 1 |
"""


def _article(text: str, cited: tuple[int, int] | None = None) -> str:
    blocks = document_blocks(text, "")
    return render_article(text, blocks, tables_of(text, blocks), cited)


def _tags(page: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)", page))


def test_structure_is_rendered_as_headings_lists_tables_and_links() -> None:
    page = _article(DOC)
    assert "<h2>Booking</h2>" in page
    assert '<a href="https://intranet.example/desks" rel="noopener noreferrer">planner</a>' in page
    assert "before noon." in page and "**" not in page
    assert '<thead><tr><th scope="col">Floor</th><th scope="col">Desks</th></tr></thead>' in page
    assert "<tr><td>Third</td><td>Twenty-five</td></tr>" in page
    assert "<ul><li>Bring your badge.</li><li>Clean the desk.</li></ul>" in page
    assert '<p class="question">Can I book for a guest?</p>' in page
    assert "<p>Yes, under Guest desks.</p>" in page
    assert "|---|" not in page and "## " not in page


def test_the_cited_range_is_marked_once_with_the_scroll_target() -> None:
    row = "| Third | Twenty-five |"
    start = DOC.index(row)
    page = _article(DOC, (start, start + len(row)))
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", page)
    assert marks == ["Third", "Twenty-five"]
    assert page.count('id="kb-cited"') == 1
    assert page.index('id="kb-cited"') < page.index(">Twenty-five</mark>")


def test_a_cited_sentence_is_marked_whole() -> None:
    sentence = "Book a desk in the [planner](https://intranet.example/desks) before **noon**."
    start = DOC.index(sentence)
    page = _article(DOC, (start, start + len(sentence)))
    marked = "".join(re.findall(r"<mark[^>]*>(.*?)</mark>", page))
    assert marked == "Book a desk in the planner before noon."


def test_script_handlers_and_javascript_links_never_become_markup() -> None:
    page = _article(HOSTILE, (0, len(HOSTILE)))
    assert _tags(page) <= {
        "p",
        "h2",
        "h3",
        "a",
        "mark",
        "div",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ul",
        "li",
    }
    assert "<script" not in page and "<img" not in page and "<svg" not in page and "<b>" not in page
    assert "onerror=" not in re.sub(r"&lt;.*?&gt;", "", page)  # only inside escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    assert '<a href="https://example.com/x?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer"><mark' in page
    assert (
        '<a href="https://example.com/x?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer">ok</a>'
        in _article(HOSTILE)
    )
    # Every character of text shows up as text.
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "<img src=x onerror=alert(2)>" in shown and "<svg onload=alert(4)>" in shown


def test_lines_outside_any_block_still_show() -> None:
    text = "Home | News | Contact\n\nOur canteen opens at noon every weekday for all staff members."
    page = _article(text)
    assert "canteen opens at noon" in page and "Home" in page


def test_the_title_line_is_left_to_the_page_heading() -> None:
    blocks = document_blocks(DOC, "Desk Guide")
    page = render_article(DOC, blocks, tables_of(DOC, blocks), None, "Desk Guide")
    assert "Desk Guide" not in page
    cited = render_article(DOC, blocks, tables_of(DOC, blocks), (2, 6), "Desk Guide")
    assert '<mark class="cited" id="kb-cited" tabindex="-1" aria-label="Cited passage">Desk</mark>' in cited
