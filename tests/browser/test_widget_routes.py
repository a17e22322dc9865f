"""The widget's HTTP routes (no browser): demo page, widget script, source view and its errors;
and a static check that the widget source never parses strings as HTML."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from service.api.routes.widget import STATIC_DIR
from tests.browser.conftest import Service

WIDGET_SOURCE = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")


def _code_only(source: str) -> str:
    """The widget source without its comments, so prose about e.g. innerHTML does not count."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$", "", source)


@pytest.mark.parametrize(
    "sink",
    ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "DOMParser"],
)
def test_widget_source_uses_no_html_sinks(sink: str) -> None:
    assert sink not in _code_only(WIDGET_SOURCE)


def test_widget_source_is_self_contained() -> None:
    code = _code_only(WIDGET_SOURCE)
    assert not re.search(r"^\s*(import|export)\s", code, flags=re.M), "no modules: one plain script"
    urls = set(re.findall(r"https?://[^\s\"'`)]+", code))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # no CDN, no external fetch


def test_widget_js_is_served_as_javascript_with_revalidation(api: Any) -> None:
    response = api.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.text == WIDGET_SOURCE
    etag = response.headers["etag"]
    assert api.get("/widget.js", headers={"If-None-Match": etag}).status_code == 304


def test_home_page_embeds_the_widget_and_shows_the_snippet(api: Any, service: Service, new_page: Any) -> None:
    response = api.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    # The page names no host (a forged Host header cannot point it elsewhere) ...
    assert '<script src="/widget.js" defer></script>' in response.text
    assert "<kb-search " in response.text
    # ... and the browser fills the snippet in with the origin it was loaded from.
    page = new_page()
    page.goto(f"{service.base_url}/")
    snippet = page.locator("#snippet").text_content()
    assert f'<script src="{service.base_url}/widget.js" defer></script>' in snippet
    assert f'<kb-search api="{service.base_url}"></kb-search>' in snippet
    assert not page.dialogs


def test_view_highlights_exactly_the_requested_range(api: Any) -> None:
    text = api.get("/documents/cro-vs-coo").json()["text"]
    start = text.index("In many organizations, the Chief Executive Officer ranks above the COO.")
    end = start + len("In many organizations, the Chief Executive Officer ranks above the COO.")
    response = api.get("/documents/cro-vs-coo/view", params={"start": start, "end": end})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", response.text, flags=re.S)
    assert html.unescape("".join(marks)) == text[start:end]
    assert response.text.count('id="kb-cited"') == 1
    # The article is rendered from its structure; every word of the text is shown, as text (the
    # title line as the page's heading).
    body = re.search(r"<main>(.*?)</main>", response.text, flags=re.S)
    assert body is not None
    shown = "".join(html.unescape(re.sub(r"<[^>]+>", "", body.group(1))).split())
    assert all(word in shown for word in re.findall(r"\w+", text))


def test_view_without_a_range_shows_the_whole_document(api: Any) -> None:
    response = api.get("/documents/cro-vs-coo/view")
    assert response.status_code == 200
    assert "<mark" not in response.text


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "abc", "end": "10"}, "start", "valid integer"),
        ({"start": "-1", "end": "10"}, "start", "greater than or equal to 0"),
        ({"start": "10", "end": "-5"}, "end", "greater than or equal to 0"),
        ({"start": "20", "end": "10"}, "start", "must not be greater than end"),
        ({"start": "0", "end": "99999999"}, "end", "beyond the end of the document"),
        ({"start": "5"}, "end", "start and end must be given together"),
        ({"end": "5"}, "start", "start and end must be given together"),
    ],
)
def test_view_rejects_bad_ranges_with_422(api: Any, params: dict[str, str], field: str, message: str) -> None:
    response = api.get("/documents/cro-vs-coo/view", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["loc"] == ["query", field] and message in d["msg"] for d in detail), detail


def test_view_of_an_unknown_document_is_404(api: Any) -> None:
    response = api.get("/documents/no-such-doc/view", params={"start": 0, "end": 1})
    assert response.status_code == 404
    assert "no-such-doc" in response.json()["detail"]


def test_create_app_serves_the_widget(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.config import Settings

    # Routes only (no index needed): the app stays up without one.
    with TestClient(create_app(Settings(index_dir=tmp_path / "none"))) as client:
        assert client.get("/widget.js").status_code == 200
        assert client.get("/").status_code == 200
