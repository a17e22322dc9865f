"""Routes of the embeddable search widget: the demo home page (`/`), the widget script
(`/widget.js`) and the source view (`/documents/{doc_id}/view`) that shows a whole article with a
cited range highlighted and scrolled into view.

The source view renders the document as text: every character of it is HTML-escaped, the
highlight is placed from the character offsets, and the page carries a Content-Security-Policy
that only allows its own nonce-tagged style and script, so an article containing markup stays
inert even if escaping were ever skipped.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from service.api.deps import AudienceDep, PipelineDep, StateDep
from service.api.errors import unprocessable
from service.api.source_view import CITED_ID, render_article
from service.errors import DocumentNotFound
from service.qa.site import Site

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
JS_MEDIA_TYPE = "text/javascript; charset=utf-8"

router = APIRouter(tags=["widget"])


@lru_cache(maxsize=8)
def _asset(name: str) -> tuple[bytes, str]:
    """The bytes of a file in service/static and a strong ETag for them (read once)."""
    data = (STATIC_DIR / name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


@router.get("/", response_class=HTMLResponse, summary="Demo intranet page with the widget embedded")
def home(state: StateDep) -> HTMLResponse:
    """A small intranet-style page with `<kb-search>` embedded and the snippet to embed it, titled
    and with example questions from the knowledge base served. Its own inline script and style run
    under a per-response nonce; nothing else inline does."""
    page, _ = _asset("index.html")
    nonce = secrets.token_urlsafe(16)
    body = (
        fill_home(page.decode("utf-8"), state.pipeline.kb.site() if state.pipeline else Site())
        .replace("<script>", f'<script nonce="{nonce}">')
        .replace("<style>", f'<style nonce="{nonce}">')
    )
    csp = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-cache", "Content-Security-Policy": csp})


def fill_home(page: str, site: Site) -> str:
    """The demo page with the knowledge base's title and example questions, escaped."""
    esc = html.escape
    buttons = "\n".join(
        f'      <button type="button" data-q="{esc(q, quote=True)}">{esc(q)}</button>' for q in site.examples
    )
    return page.replace("{{examples}}", buttons).replace("{{title}}", esc(site.title))


@router.get(
    "/widget.js",
    response_class=Response,
    summary="The <kb-search> web component",
    responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Not modified"}},
)
def widget_js(request: Request) -> Response:
    """The self-contained widget script. Revalidated on every use (ETag), so pages pick up a new
    version of the service at once; loading it cross-origin needs no CORS (it is a plain script)."""
    data, etag = _asset("widget.js")
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type=JS_MEDIA_TYPE, headers=headers)


def _check_range(start: int | None, end: int | None, length: int) -> tuple[int, int] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise unprocessable(("query", missing), "start and end must be given together")
    if start > end:
        raise unprocessable(("query", "start"), f"start ({start}) must not be greater than end ({end})")
    if end > length:
        raise unprocessable(
            ("query", "end"), f"end ({end}) is beyond the end of the document ({length} characters)"
        )
    return start, end


@router.get(
    "/documents/{doc_id}/view",
    response_class=HTMLResponse,
    summary="A whole article with a cited range highlighted",
    responses={404: {"description": "No document with this id"}, 422: {"description": "Bad range"}},
)
def document_view(
    doc_id: str,
    pipeline: PipelineDep,
    audience: AudienceDep,
    start: Annotated[int | None, Query(ge=0, description="First character of the cited range.")] = None,
    end: Annotated[
        int | None,
        Query(
            ge=0,
            description="End of the cited range (exclusive); offsets count code points, as in citations.",
        ),
    ] = None,
) -> HTMLResponse:
    """The article in its structure, the range [start, end) highlighted and scrolled into view."""
    try:
        doc = pipeline.kb.document(doc_id, audience)
    except DocumentNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    text: str = doc.text
    cited = _check_range(start, end, len(text))
    nonce = secrets.token_urlsafe(16)
    kb = pipeline.kb
    article = render_article(text, kb.blocks(doc.doc_id), kb.tables(doc.doc_id), cited, doc.title)
    page = render_view(doc.doc_id, doc.title or doc.doc_id, article, len(text), cited, doc.meta, nonce)
    csp = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


VIEW_CSS = """
:root { color-scheme: light dark; --bg: #fff; --fg: #1a1f26; --muted: #56606b; --border: #d3d9e0;
  --mark: #b9e8c6; --mark-fg: #0b2914; --mark-ring: #137333; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #171b21; --fg: #e5eaf0; --muted: #9ea8b4; --border: #3a434e;
    --mark: #1f5a31; --mark-fg: #e3ffe9; --mark-ring: #6fd38b; --accent: #7fb0ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
header { border-bottom: 1px solid var(--border); padding: 10px 16px; font-size: 0.9em; color: var(--muted); }
header a, .meta a { color: var(--accent); }
main { max-width: 46rem; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5em; line-height: 1.25; margin: 8px 0; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 0.9em; margin: 0 0 16px; }
.doc { overflow-wrap: anywhere; margin: 0; }
.doc h2, .doc h3, .doc h4, .doc h5, .doc h6 { line-height: 1.3; margin: 1.2em 0 0.4em; }
.doc .question { font-weight: 700; margin-bottom: 0.2em; }
.doc .aside { color: var(--muted); font-size: 0.9em; }
.doc .table { overflow-x: auto; }
.doc table { border-collapse: collapse; margin: 0.5em 0 1em; }
.doc th, .doc td { border: 1px solid var(--border); padding: 4px 10px; text-align: start;
  vertical-align: top; }
.doc a { color: var(--accent); }
mark { background: var(--mark); color: var(--mark-fg); border-radius: 3px;
  box-shadow: 0 0 0 2px var(--mark-ring); scroll-margin: 30vh; }
mark:focus { outline: 3px solid var(--accent); outline-offset: 3px; }
"""

# Runs under the page's nonce: centres the cited range (the #kb-cited fragment alone would put it
# at the very top) and moves keyboard focus there.
VIEW_JS = (
    f'(function(){{var m=document.getElementById("{CITED_ID}");'
    'if(m){m.scrollIntoView({block:"center"});m.focus({preventScroll:true});}})();'
)


def _about(meta: dict[str, str]) -> str:
    """Owner, date and a link to the original page (http(s) only), escaped."""
    esc = html.escape
    parts = [esc(meta["owner"])] if meta.get("owner") else []
    if meta.get("updated"):
        parts.append(f"updated {esc(meta['updated'])}")
    url = meta.get("url", "")
    if url.startswith(("http://", "https://")):
        parts.append(f'<a href="{esc(url, quote=True)}" rel="noopener noreferrer">Original page</a>')
    return " · ".join(parts)


def render_view(
    doc_id: str,
    title: str,
    body: str,
    length: int,
    cited: tuple[int, int] | None,
    meta: dict[str, str],
    nonce: str,
) -> str:
    """The view page around an article rendered by `render_article` (which escapes every piece of
    document text); everything else here is ours or escaped."""
    esc = html.escape
    if cited is None:
        info = f"Document <code>{esc(doc_id)}</code>, {length} characters."
    else:
        s, e = cited
        info = (
            f"The cited passage (characters {s}&ndash;{e}) is highlighted. "
            f'<a href="#{CITED_ID}">Jump to it</a>.'
        )
    about = _about(meta)
    meta_html = info + (f" {about}." if about else "")
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} · Knowledge base</title>\n"
        f'<style nonce="{nonce}">{VIEW_CSS}</style>\n</head>\n<body>\n'
        '<header><a href="/">Knowledge base</a> › source</header>\n'
        f'<main>\n<h1>{esc(title)}</h1>\n<p class="meta">{meta_html}</p>\n'
        f'<article class="doc" aria-label="{esc(title)}">{body}</article>\n</main>\n'
        f'<script nonce="{nonce}">{VIEW_JS}</script>\n'
        "</body>\n</html>\n"
    )
