"""A document full of markup and script (tests/browser/fixtures/corpus/evil.txt, title in the
catalog included) renders inert in the widget and in the source view: no dialog, no script run,
no element created from document text, no javascript: navigation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Service
from tests.browser.widget_page import MESSAGE, OPTION, ask, open_widget, type_query, view_params

pytestmark = pytest.mark.browser

# Elements the widget itself never creates: if one shows up, document text was parsed as HTML.
FOREIGN_IN_WIDGET = """() => {
  const root = document.querySelector('kb-search').shadowRoot;
  const foreign = 'img, script, iframe, object, embed, style, svg:not(.icon), [onerror], [onload]';
  const bad = [...root.querySelectorAll(foreign)];
  const links = [...root.querySelectorAll('a')].map(a => a.href).filter(h => !/^https?:/.test(h));
  return {bad: bad.map(e => e.outerHTML.slice(0, 80)), links};
}"""


def _assert_inert(page: Any) -> None:
    page.wait_for_timeout(300)  # let any injected onerror/onload fire
    assert page.dialogs == []
    assert page.evaluate("() => window.__kbqaPwned") is None


def test_hostile_document_renders_inert_in_the_widget_and_the_source_view(
    new_page: Any, service: Service
) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    start_url = page.url
    open_widget(page)

    # A hostile query: shown back as text at most.
    box = page.locator("kb-search input[role=combobox]")
    box.fill("<img src=x onerror=\"window.__kbqaPwned='query';alert('query')\">")
    page.wait_for_timeout(600)
    _assert_inert(page)

    # Search results from the hostile document: title, section and excerpt shown as text.
    data = type_query(page, "expense reports receipts")
    assert any(r["doc_id"] == "evil" for r in data["results"])
    expect(page.locator("kb-search .article-title", has_text="Expense Policy <img src=x")).to_be_visible()
    _assert_inert(page)
    found = page.evaluate(FOREIGN_IN_WIDGET)
    assert found == {"bad": [], "links": []}

    # The answer from it, with its highlighted span.
    answer = ask(page, "when are expense reports submitted?")
    _assert_inert(page)
    assert page.evaluate(FOREIGN_IN_WIDGET) == {"bad": [], "links": []}
    evil = [c for c in answer["citations"] if c["doc_id"] == "evil"]
    assert evil, answer
    page_text = page.locator("kb-search [role=listbox]").inner_text()
    assert "<img src=x onerror=" in page_text or "<script>" in page_text or "javascript:" in page_text
    assert page.url == start_url

    # Its source view: the whole document as text.
    option = page.locator(OPTION).filter(has_text="Expense Policy").first
    href = option.locator("a").get_attribute("href") or ""
    assert view_params(href)[0] == "evil"
    option.locator("a").click()
    page.wait_for_url("**/documents/evil/view?**")
    _assert_inert(page)
    article = page.locator("article.doc")
    expect(article).to_contain_text("<script>window.__kbqaPwned='script';alert('script')</script>")
    expect(article).to_contain_text('<a href="javascript:')
    expect(page.locator("h1")).to_contain_text("Expense Policy <img src=x onerror=")
    counts = page.evaluate(
        """() => ({
          img: document.querySelectorAll('img, iframe, svg, object, embed').length,
          scripts: document.querySelectorAll('script').length,
          js_links: [...document.querySelectorAll('a')].filter(a => !/^https?:/.test(a.href)).length,
          handlers: document.querySelectorAll('[onerror], [onload]').length,
        })"""
    )
    assert counts == {"img": 0, "scripts": 1, "js_links": 0, "handlers": 0}  # the 1 script is the view's own

    # Clicking the text that would have been a javascript: link does nothing.
    view_url = page.url
    page.get_by_text("the receipts guide").first.click()
    _assert_inert(page)
    assert page.url == view_url


def test_source_view_sends_a_restrictive_content_security_policy(service: Service, api: Any) -> None:
    response = api.get("/documents/evil/view", params={"start": 0, "end": 10})
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'nonce-" in csp
    assert "<script>window" not in response.text
    assert "&lt;script&gt;window.__kbqaPwned" in response.text


def test_no_results_message_shows_the_query_as_text(new_page: Any, service: Service) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    hostile = "<b id=injected>zzqx</b> <img src=x onerror=alert(1)>"
    page.route(
        "**/search?**", lambda route: route.fulfill(json={"query": hostile, "results": [], "took_ms": 1})
    )
    page.locator("kb-search input[role=combobox]").fill(hostile)
    expect(page.locator(MESSAGE)).to_contain_text(hostile)
    _assert_inert(page)
    assert (
        page.evaluate("() => document.querySelector('kb-search').shadowRoot.querySelector('#injected')")
        is None
    )
