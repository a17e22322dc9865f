"""Generate the intranet fixture corpus (eval/intranet_kb/corpus) from the source texts in
eval/intranet_kb/source, the way an intranet folder looks: a wiki page saved as HTML with its
navigation, cookie banner, comments and footer; a PDF policy with page headers and footers; a
DOCX guide with headings, a list and a table; a hard-wrapped plain-text export with CRLF line
ends; a wrapped Markdown page with a table; a plain-text FAQ; an HTML page saved as .txt; in
nested folders, with a catalog.json.

    python eval/intranet_kb/make_fixture.py      # needs fpdf2 and python-docx (dev dependencies)

The generated files are committed, so tests do not need this script or its libraries.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
CORPUS = HERE / "corpus"
FIXED_DATE = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Block:
    kind: str  # h1 | h2 | p | ul | table
    lines: tuple[str, ...]


def parse(path: Path) -> list[Block]:
    """The source markup: '# ' and '## ' headings, '- ' lists, '|' tables, paragraphs."""
    blocks: list[Block] = []
    for chunk in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        if not lines:
            continue
        first = lines[0]
        if first.startswith("## "):
            blocks.append(Block("h2", (first[3:],)))
        elif first.startswith("# "):
            blocks.append(Block("h1", (first[2:],)))
        elif first.startswith("- "):
            blocks.append(Block("ul", tuple(line[2:] for line in lines)))
        elif first.startswith("|"):
            rows = [line for line in lines if not set(line) <= set("|- :")]
            blocks.append(Block("table", tuple(rows)))
        else:
            blocks.append(Block("p", (" ".join(lines),)))
    return blocks


def cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip("|").split("|")]


# --- HTML -------------------------------------------------------------------------------------


def html_body(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "p"):
            out.append(f"<{b.kind}>{html.escape(b.lines[0])}</{b.kind}>")
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in b.lines) + "</ul>")
        else:
            head, *rows = b.lines
            th = "".join(f"<th>{html.escape(c)}</th>" for c in cells(head))
            tds = ("".join(f"<td>{html.escape(c)}</td>" for c in cells(r)) for r in rows)
            trs = "".join(f"<tr>{td}</tr>" for td in tds)
            out.append(f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>")
    return "\n".join(out)


WIKI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - Northwind Wiki</title>
<meta name="author" content="{owner}">
<link rel="canonical" href="{url}">
<script>window.analytics = {{site: "wiki"}};</script>
<style>.cookie-banner {{position: fixed; bottom: 0}}</style>
</head>
<body>
<div class="cookie-banner" id="cookie-consent">
  <p>We use cookies to improve your experience on the Northwind intranet.
  <button>Accept all cookies</button> <button>Cookie settings</button></p>
</div>
<header class="site-header">
  <a class="logo" href="/">Northwind Wiki</a>
  <nav class="main-nav"><ul>
    <li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/people">People</a></li>
    <li><a href="/finance">Finance</a></li><li><a href="/it">IT</a></li><li><a href="/search">Search</a></li>
  </ul></nav>
</header>
<nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/finance">Finance</a> &rsaquo; {title}</nav>
<main>
<article class="wiki-content">
{body}
<p class="page-meta">Page owner: {owner}. Last updated {updated}.</p>
</article>
<section class="comments" id="comments">
  <h3>2 Comments</h3>
  <div class="comment"><p class="comment-author">Jonas Berg</p>
    <p>Does the taxi rule also apply when the last train was cancelled?</p></div>
  <div class="comment"><p class="comment-author">Mia Hofmann</p>
    <p>Thanks, this finally explains why my claim was paid a month late!</p></div>
  <form class="comment-form"><p>Leave a comment</p><textarea></textarea><button>Post comment</button></form>
</section>
</main>
<aside class="sidebar"><h3>Related pages</h3><ul><li><a href="/finance/cards">Company credit cards</a></li>
<li><a href="/finance/travel">Booking business travel</a></li></ul></aside>
<footer class="site-footer">
  <p><a href="/privacy">Privacy</a> | <a href="/imprint">Imprint</a> | <a href="/help">Help</a></p>
  <p>&copy; 2025 Northwind GmbH. All rights reserved.</p>
</footer>
</body>
</html>
"""


def write_wiki_page(blocks: list[Block], path: Path, meta: dict[str, str]) -> None:
    body = html_body(blocks)
    path.write_text(WIKI_PAGE.format(body=body, **meta), encoding="utf-8")


def write_html_as_txt(blocks: list[Block], path: Path) -> None:
    """A page someone saved with "Save as text" that kept its markup."""
    path.write_text(
        f"<html><head><title>{blocks[0].lines[0]}</title></head><body>\n{html_body(blocks)}\n"
        "</body></html>\n",
        encoding="utf-8",
    )


# --- plain text and Markdown -----------------------------------------------------------------


def write_wrapped_text(blocks: list[Block], path: Path, width: int) -> None:
    """A plain-text export: headings as plain lines, paragraphs hard-wrapped, CRLF line ends."""
    parts = [textwrap.fill(b.lines[0], width) for b in blocks]
    path.write_bytes(("\r\n\r\n".join(parts) + "\r\n").replace("\n", "\r\n").replace("\r\r", "\r").encode())


def write_wrapped_markdown(blocks: list[Block], path: Path, width: int) -> None:
    parts: list[str] = []
    for b in blocks:
        if b.kind == "h1":
            parts.append("# " + b.lines[0])
        elif b.kind == "h2":
            parts.append("## " + b.lines[0])
        elif b.kind == "p":
            parts.append(textwrap.fill(b.lines[0], width))
        elif b.kind == "ul":
            items = (textwrap.fill(i, width, initial_indent="- ", subsequent_indent="  ") for i in b.lines)
            parts.append("\n".join(items))
        else:
            head, *rows = b.lines
            rule = "| " + " | ".join("---" for _ in cells(head)) + " |"
            parts.append("\n".join([head, rule, *rows]))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


# --- PDF and DOCX ------------------------------------------------------------------------------


def write_pdf(blocks: list[Block], path: Path, meta: dict[str, str]) -> None:
    from fpdf import FPDF

    title = blocks[0].lines[0]

    class Policy(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, f"Northwind - {title}", align="R")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Policy(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_author(meta["owner"])
    pdf.set_margins(25, 20, 25)
    pdf.add_page()
    sizes = {"h1": 18, "h2": 13}
    for b in blocks:
        if b.kind in sizes:
            pdf.set_font("Helvetica", "B", sizes[b.kind])
            pdf.multi_cell(0, 8, b.lines[0], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif b.kind == "p":
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 5.5, b.lines[0], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            if pdf.get_y() > 150 and pdf.page_no() == 1:
                pdf.add_page()
    pdf.output(str(path))


def write_docx(blocks: list[Block], path: Path, meta: dict[str, str]) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title, props.author = blocks[0].lines[0], meta["owner"]
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    for b in blocks:
        if b.kind == "h1":
            document.add_heading(b.lines[0], level=1)
        elif b.kind == "h2":
            document.add_heading(b.lines[0], level=2)
        elif b.kind == "p":
            document.add_paragraph(b.lines[0])
        elif b.kind == "ul":
            for item in b.lines:
                document.add_paragraph(item, style="List Bullet")
        else:
            head, *rows = (cells(r) for r in b.lines)
            table = document.add_table(rows=1 + len(rows), cols=len(head))
            table.style = "Table Grid"
            for r, row in enumerate([head, *rows]):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    document.save(str(path))


CATALOG = {
    "wiki/expense-claims.html": {
        "url": "https://wiki.northwind.example/finance/expense-claims",
        "owner": "Finance Operations",
        "updated": "2025-02-10",
    },
    "it/information-security.pdf": {"owner": "Chief Information Security Officer", "updated": "2025-01-15"},
    "hr/parental-leave.docx": {"owner": "People Operations", "updated": "2024-11-04"},
    "facilities/parking-and-access.txt": {"owner": "Facilities", "updated": "2024-09-30"},
    "it/service-desk.md": {
        "url": "https://wiki.northwind.example/it/service-desk",
        "owner": "IT Service Desk",
    },
}
# The knowledge base's own catalog entry: the demo page's title and example questions.
KNOWLEDGE_BASE = {
    "title": "Northwind intranet",
    "examples": [
        "How long can I work from abroad?",
        "What do I do if I lose my laptop?",
        "Where can visitors park?",
    ],
}


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for folder in ("wiki", "it", "hr", "facilities"):
        (CORPUS / folder).mkdir(parents=True)
    src = {p.stem: parse(p) for p in SOURCE.glob("*.md")}
    wiki_meta = {"title": "Expense Claims", **CATALOG["wiki/expense-claims.html"]}
    write_wiki_page(src["expense-claims"], CORPUS / "wiki/expense-claims.html", wiki_meta)
    write_html_as_txt(src["canteen"], CORPUS / "wiki/canteen.txt")
    write_pdf(
        src["information-security"],
        CORPUS / "it/information-security.pdf",
        CATALOG["it/information-security.pdf"],
    )
    write_docx(src["parental-leave"], CORPUS / "hr/parental-leave.docx", CATALOG["hr/parental-leave.docx"])
    write_wrapped_text(src["parking-and-access"], CORPUS / "facilities/parking-and-access.txt", 68)
    write_wrapped_markdown(src["service-desk"], CORPUS / "it/service-desk.md", 80)
    shutil.copy(SOURCE / "new-starter-faq.txt", CORPUS / "new-starter-faq.txt")
    catalog = {**CATALOG, "_knowledge_base": KNOWLEDGE_BASE}
    (CORPUS / "catalog.json").write_text(json.dumps(catalog, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {sum(1 for p in CORPUS.rglob('*') if p.is_file())} files to {CORPUS}")


if __name__ == "__main__":
    main()
