"""Helpers for driving <kb-search> in a Playwright page (Playwright's CSS locators pierce the
widget's open shadow root)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

WIDGET = "kb-search"
TRIGGER = "kb-search .trigger"
DIALOG = "kb-search [role=dialog]"
INPUT = "kb-search input[role=combobox]"
LISTBOX = "kb-search [role=listbox]"
OPTION = "kb-search [role=option]"
ANSWER_TEXT = "kb-search .answer-text"
ABSTAIN_TITLE = "kb-search .abstain-title"
LIVE = "kb-search [role=status]"
MESSAGE = "kb-search .message"

# The element that has focus, looking inside the widget's shadow root.
ACTIVE_IN_WIDGET = """() => {
  const host = document.querySelector('kb-search');
  const el = host && host.shadowRoot.activeElement;
  if (!el) return null;
  return {tag: el.tagName.toLowerCase(), role: el.getAttribute('role'), cls: el.className};
}"""


def wait_defined(page: Any) -> None:
    page.wait_for_function("() => !!customElements.get('kb-search')")


def open_widget(page: Any) -> None:
    wait_defined(page)
    page.locator(TRIGGER).click()
    expect(page.locator(DIALOG)).to_be_visible()
    expect(page.locator(INPUT)).to_be_focused()


def _query_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("q", [""])[0]


def type_query(page: Any, text: str) -> dict[str, Any]:
    """Types like a person (one key at a time) and returns the /search response the widget used
    for the complete text."""
    box = page.locator(INPUT)
    box.fill("")
    with page.expect_response(lambda r: "/search?" in r.url and _query_of(r.url) == text.strip()) as info:
        box.press_sequentially(text, delay=15)
    response = info.value
    assert response.status == 200, response.text()
    expect(page.locator(OPTION).first).to_be_visible()
    data: dict[str, Any] = response.json()
    return data


def ask(page: Any, text: str) -> dict[str, Any]:
    """Types a question, presses Enter, waits for the widget to render the /ask response, and
    returns that response."""
    box = page.locator(INPUT)
    box.fill(text)
    with page.expect_response(lambda r: r.url.endswith("/ask") and r.request.method == "POST") as info:
        box.press("Enter")
    response = info.value
    assert response.status == 200, response.text()
    data: dict[str, Any] = response.json()
    if data["answer"] is None:
        expect(page.locator(ABSTAIN_TITLE)).to_be_visible()
    else:
        expect(page.locator(ANSWER_TEXT)).to_be_visible()
    return data


def view_params(href: str) -> tuple[str, int, int]:
    """(doc_id, start, end) of a /documents/{doc_id}/view?start=&end= link."""
    parts = urlsplit(href)
    match = re.fullmatch(r"/documents/([^/]+)/view", parts.path)
    assert match, href
    query = parse_qs(parts.query)
    return match.group(1), int(query["start"][0]), int(query["end"][0])


def no_horizontal_overflow(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))
