"""Embedding from another origin: an intranet page on a second loopback origin loads widget.js
from the service with one script tag. The service's CORS allow-list (KBQA_CORS_ORIGINS) holds
`allowed_site`'s origin and not `refused_site`'s: the first works, the second is refused by the
browser."""

from __future__ import annotations

import html
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Service, Site
from tests.browser.widget_page import ANSWER_TEXT, INPUT, MESSAGE, OPTION, ask, open_widget, type_query

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Team page</title>
<script src="{service}/widget.js" defer></script></head>
<body>
<h1>Sales team</h1>
<kb-search api="{service}"></kb-search>
</body>
</html>
"""


def _publish(site: Site, service: Service) -> str:
    (site.root / "team.html").write_text(PAGE.format(service=html.escape(service.base_url)), encoding="utf-8")
    return site.url("team.html")


def test_allowed_origin_can_search_and_ask(new_page: Any, service: Service, allowed_site: Site) -> None:
    assert allowed_site.origin == service.allowed_origin
    page = new_page()
    page.goto(_publish(allowed_site, service))
    open_widget(page)
    data = type_query(page, "COO responsibilities")
    assert data["results"]
    answer = ask(page, "who outranks the COO?")
    assert answer["answer"]
    expect(page.locator(ANSWER_TEXT)).to_have_text(answer["answer"])
    # Sources link back to the service's own source view.
    href = page.locator(OPTION).first.locator("a").get_attribute("href") or ""
    assert href.startswith(service.base_url + "/documents/")


def test_origin_not_in_the_allow_list_is_refused(new_page: Any, service: Service, refused_site: Site) -> None:
    assert refused_site.origin != service.allowed_origin
    page = new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(_publish(refused_site, service))
    open_widget(page)  # the script itself loads: a plain <script src> needs no CORS

    # The service answers without an Access-Control-Allow-Origin for this origin, so the browser
    # fails the request instead of handing the response to the page.
    with page.expect_event("requestfailed", predicate=lambda r: "/search?" in r.url):
        page.locator(INPUT).fill("COO responsibilities")
    expect(page.locator(MESSAGE)).to_contain_text("Could not reach the knowledge base")
    expect(page.locator(OPTION)).to_have_count(0)

    page.locator(INPUT).press("Enter")
    expect(page.locator(MESSAGE)).to_contain_text("Could not reach the knowledge base")
    expect(page.locator(ANSWER_TEXT)).to_have_count(0)
    assert any("CORS" in line for line in console), console


def test_preflight_answers_only_the_allowed_origin(
    service: Service, allowed_site: Site, refused_site: Site, api: Any
) -> None:
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = api.options("/ask", headers={"Origin": allowed_site.origin, **headers})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == allowed_site.origin
    refused = api.options("/ask", headers={"Origin": refused_site.origin, **headers})
    assert refused.headers.get("access-control-allow-origin") != refused_site.origin
    # Simple (non-preflighted) requests: the allowed origin gets the header, the other does not.
    ok = api.get("/search", params={"q": "COO"}, headers={"Origin": allowed_site.origin})
    assert ok.headers["access-control-allow-origin"] == allowed_site.origin
    no = api.get("/search", params={"q": "COO"}, headers={"Origin": refused_site.origin})
    assert "access-control-allow-origin" not in no.headers
