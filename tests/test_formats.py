"""Each format becomes one canonical Markdown-like text: HTML main content without the page's
chrome, PDF text layer with headings and paragraphs, DOCX headings, lists and tables; files that
give no text are reported with the reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from indexer.errors import ConversionError
from indexer.formats import convert, looks_like_html

FIXTURE = Path(__file__).resolve().parents[1] / "eval" / "intranet_kb" / "corpus"

PAGE = """<!DOCTYPE html><html><head><title>Visitor Wi-Fi - Intranet</title>
<link rel="canonical" href="https://intranet.example/it/wifi"></head><body>
<div class="cookie-banner"><p>We use cookies to improve your experience. <button>Accept all</button></p></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/it">IT</a></li>
<li><a href="/hr">HR</a></li></ul></nav></header>
<main><article><h1>Visitor Wi-Fi</h1>
<p>Guests connect to the network called Northwind-Guest. The password changes every Monday and is shown
on the screens at reception, next to the lifts and in the canteen.</p>
<h2>Limits</h2><ul><li>Each voucher is valid for seven days.</li>
<li>Streaming is limited to 5 Mbit/s.</li></ul>
<table><tr><th>Device</th><th>Allowed</th></tr><tr><td>Laptop</td><td>Yes</td></tr><tr><td>Printer</td><td>No</td></tr></table>
</article>
<section class="comments"><h3>3 Comments</h3><p>Great, thanks for sharing this with the whole team!</p>
<form><p>Leave a comment</p><textarea></textarea></form></section></main>
<footer><p>&copy; 2025 Northwind GmbH. All rights reserved. <a href="/privacy">Privacy</a></p></footer>
</body></html>"""


def test_html_keeps_main_content_as_markdown_and_drops_the_chrome() -> None:
    got = convert("html", PAGE.encode())
    assert got.format == "html"
    assert "# Visitor Wi-Fi" in got.text
    assert "Guests connect to the network called Northwind-Guest." in got.text
    assert "- Each voucher is valid for seven days." in got.text
    assert "| Laptop | Yes |" in got.text
    for chrome in ("cookies", "Leave a comment", "Great, thanks", "All rights reserved", "Home"):
        assert chrome not in got.text
    assert "<" not in got.text
    assert got.meta["url"] == "https://intranet.example/it/wifi"
    assert "updated" not in got.meta  # the page declares no date; none is guessed
    dated = PAGE.replace(
        "<title>", '<meta property="article:modified_time" content="2025-01-31T10:00:00Z"><title>'
    )
    assert convert("html", dated.encode()).meta["updated"] == "2025-01-31"


def test_html_saved_as_text_is_detected_and_converted() -> None:
    page = (
        "<html><body><h1>Canteen</h1><p>Lunch is served from <strong>11:30</strong> to 14:00 on weekdays.</p>"
        "<p>Breakfast is served from 7:30.</p></body></html>"
    )
    assert looks_like_html(page)
    got = convert("txt", page.encode())
    assert got.format == "html" and "<" not in got.text
    assert "Lunch is served from 11:30 to 14:00 on weekdays." in got.text
    # Markdown or text that merely mentions a tag stays what it is.
    assert not looks_like_html("Use <br> for a line break.\n\nThat is all.")
    assert convert("txt", b"<script>alert(1)</script>\n\nOffice Hours\n").format == "txt"


def test_pdf_text_layer_with_headings_paragraphs_and_no_page_furniture() -> None:
    got = convert("pdf", (FIXTURE / "it" / "information-security.pdf").read_bytes())
    assert got.format == "pdf" and got.meta["title"] == "Information Security Policy"
    assert got.text.startswith("# Information Security Policy\n\n")
    assert "\n## 1. Passwords\n" in got.text
    # A paragraph wrapped over several lines in the PDF is one line of the canonical text.
    assert "Okta Verify is required for every login from outside the office network. Never reuse" in got.text
    assert "Page 1 of 2" not in got.text and "Northwind - Information" not in got.text


def test_pdf_without_text_layer_is_reported_not_indexed_empty() -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ConversionError, match="no text layer"):
        convert("pdf", buffer.getvalue())
    with pytest.raises(ConversionError, match="unreadable"):
        convert("pdf", b"%PDF-1.4\nnot really a pdf")


def test_docx_headings_lists_and_tables() -> None:
    got = convert("docx", (FIXTURE / "hr" / "parental-leave.docx").read_bytes())
    assert got.meta["owner"] == "People Operations"
    assert got.text.startswith("# Parental Leave and Flexible Working\n\n")
    assert "\n## How to apply\n" in got.text
    assert "Then:\n\n- fill in the parental leave form in Workday\n- attach the birth certificate" in got.text
    assert "| Length of service | Fully paid leave | Half-paid leave |\n| --- | --- | --- |\n" in got.text
    assert "| 1 to 3 years | 16 weeks | 8 weeks |" in got.text
    with pytest.raises(ConversionError, match="unreadable"):
        convert("docx", b"PK\x03\x04 not a zip")


def test_a_bare_page_saved_as_text_keeps_its_headings() -> None:
    got = convert("txt", (FIXTURE / "wiki" / "canteen.txt").read_bytes())
    assert got.text.startswith("# Canteen and Coffee Bar\n\n")
    assert "\n## Coffee bar\n" in got.text


def test_pdf_bold_lines_at_body_size_are_headings_and_pages_join() -> None:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    for bold, text in [
        (True, "Eligibility"),
        (False, "Staff who have worked here for six months can apply for a sabbatical of up to three " * 2),
        (True, "Pay during the sabbatical"),
        (False, "The sabbatical is unpaid, but pension contributions continue."),
    ]:
        pdf.set_font("Helvetica", "B" if bold else "", 11)
        pdf.multi_cell(0, 6, text.strip(), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    got = convert("pdf", bytes(pdf.output()))
    assert got.text.startswith("# Eligibility\n\nStaff who have worked here")
    assert "\n# Pay during the sabbatical\n\nThe sabbatical is unpaid" in got.text


def test_docx_bold_paragraph_is_a_heading_and_bold_words_in_a_sentence_are_not() -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph().add_run("Sabbatical leave").bold = True
    body = document.add_paragraph("Staff can take a sabbatical of ")
    body.add_run("three months").bold = True
    body.add_run(" after five years.")
    buffer = io.BytesIO()
    document.save(buffer)
    got = convert("docx", buffer.getvalue())
    assert (
        got.text == "### Sabbatical leave\n\nStaff can take a sabbatical of three months after five years.\n"
    )
