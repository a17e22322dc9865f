"""What employees see (issue 12): a table-row answer and an FAQ answer shown clean (no pipes,
no "A:", no Markdown syntax), the original page linked, the source view rendered in structure
with the cited range highlighted, the demo page titled from the knowledge base, and a declined
answer without internals. Fixture: tests/browser/fixtures/corpus/office-guide.md."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Service
from tests.browser.widget_page import (
    ABSTAIN_TITLE,
    ANSWER_TEXT,
    OPTION,
    ask,
    no_horizontal_overflow,
    open_widget,
    view_params,
)

pytestmark = pytest.mark.browser

GUIDE_URL = "https://intranet.example/office-guide"
MARKUP = re.compile(r"\||\*\*|\]\(|^A:|^Q:|\n- ", re.M)


def test_table_row_and_faq_answers_are_displayed_clean(
    new_page: Any, service: Service, save_screenshot: Any
) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)

    data = ask(page, "which parking zone is for electric cars?")
    assert data["answer"] and "| Orange | 12 |" in data["answer"], data  # the API keeps the verbatim span
    assert data["rows"] and ["Zone", "Orange"] in data["rows"][-1]
    table = page.locator("kb-search .answer-text table.answer-table")
    expect(table).to_be_visible()
    expect(table.locator("th").first).to_have_text("Zone")
    expect(table).to_contain_text("Electric cars while charging")
    assert not MARKUP.search(page.locator("kb-search .answer").inner_text())
    evidence = page.locator(OPTION).first
    expect(evidence).to_contain_text("Zone: Orange; Spaces: 12; Reserved for: Electric cars while charging")
    expect(evidence.locator("mark.answer-span")).to_contain_text(
        "Reserved for: Visitors and delivery drivers"
    )
    assert "|" not in evidence.inner_text() and "**" not in evidence.inner_text()
    # The citation carries the document's metadata; the widget links the original page.
    assert data["citations"][0]["url"] == GUIDE_URL and data["citations"][0]["owner"] == "Facilities"
    expect(evidence.locator("a.option-source")).to_have_attribute("href", GUIDE_URL)
    expect(evidence).to_contain_text("Facilities · updated 2026-11-20")
    save_screenshot(page, "answer-table-row")
    page.set_viewport_size({"width": 320, "height": 640})
    expect(table).to_be_visible()
    assert no_horizontal_overflow(page), "the answer table overflows a narrow screen"
    save_screenshot(page, "answer-table-row-320px")
    page.set_viewport_size({"width": 1280, "height": 800})

    data = ask(page, "how do I book a desk for a visiting colleague?")
    assert data["answer"].startswith("A: Book it in the [desk planner]"), data
    clean = "Book it in the desk planner under Guest desks, at least one working day ahead."
    assert data["display"] == clean
    expect(page.locator(ANSWER_TEXT)).to_have_text(clean)
    expect(page.locator(OPTION).first.locator("mark.answer-span")).to_have_text(clean)
    # Its section is the FAQ question, shown without "Q:".
    expect(page.locator(OPTION).first).to_contain_text(
        "Frequently asked questions › How do I book a desk for a visiting colleague?"
    )
    save_screenshot(page, "answer-faq")


def test_source_view_renders_structure_with_the_cited_row_highlighted(
    new_page: Any, service: Service, save_screenshot: Any
) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    data = ask(page, "which parking zone is for electric cars?")
    first = data["citations"][0]
    link = page.locator(OPTION).first.locator("a.option-link")
    assert view_params(link.get_attribute("href") or "") == (first["doc_id"], first["start"], first["end"])
    link.click()
    page.wait_for_url(re.compile(r"/documents/office-guide/view\?"))

    article = page.locator("article.doc")
    expect(article.locator("h2", has_text="Parking")).to_be_visible()
    expect(article.locator("table thead th")).to_have_text(["Zone", "Spaces", "Reserved for"])
    expect(article.locator("p.question").first).to_have_text("How do I book a desk for a visiting colleague?")
    planner = article.get_by_role("link", name="desk planner")
    expect(planner).to_have_attribute("href", "https://intranet.example/desks")
    shown = article.inner_text()
    assert "|---" not in shown and "**" not in shown and "## " not in shown and "A: " not in shown
    # The cited range (the intro sentence and the table) is marked, the first mark in view.
    cited = page.locator("mark#kb-cited")
    expect(cited).to_be_in_viewport()
    expect(cited).to_be_focused()
    marked_cells = article.locator("td mark")
    expect(marked_cells.first).to_be_visible()
    assert "Electric cars while charging" in " ".join(marked_cells.all_inner_texts())
    expect(page.locator("p.meta a", has_text="Original page")).to_have_attribute("href", GUIDE_URL)
    assert page.dialogs == []
    save_screenshot(page, "source-view-structure")


def test_demo_page_takes_its_title_and_examples_from_the_knowledge_base(
    new_page: Any, service: Service
) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    expect(page.locator("h1")).to_have_text("Acme office handbook")
    expect(page).to_have_title(re.compile("^Acme office handbook"))
    buttons = page.locator(".try button")
    expect(buttons).to_have_text(
        [
            "which parking zone is for electric cars?",
            "how do I book a desk for a visiting colleague?",
            "who outranks the COO?",
        ]
    )
    assert "Leadership handbook" not in page.content()
    with page.expect_response(lambda r: r.url.endswith("/ask")):
        buttons.nth(1).click()
    expect(page.locator(ANSWER_TEXT)).to_contain_text("Book it in the desk planner")


def test_a_declined_answer_shows_no_internals(new_page: Any, service: Service) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    data = ask(page, "what is the wifi password")
    assert data["answer"] is None and data["threshold"] is not None and data["confidence"] < data["threshold"]
    expect(page.locator(ABSTAIN_TITLE)).to_have_text("Not covered by the knowledge base")
    shown = page.locator("kb-search .answer").inner_text()
    assert "does not cover" in shown
    assert not re.search(r"confidence|threshold|below|\d\.\d", shown), shown
