"""The widget on the service's own demo page, in headless Chromium: search as you type, asking,
open in context, keyboard, abstention, theming and layout, screenshots."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Service
from tests.browser.widget_page import (
    ABSTAIN_TITLE,
    ACTIVE_IN_WIDGET,
    ANSWER_TEXT,
    DIALOG,
    INPUT,
    LIVE,
    OPTION,
    ask,
    no_horizontal_overflow,
    open_widget,
    type_query,
    view_params,
    wait_defined,
)

pytestmark = pytest.mark.browser

COO_QUESTION = "who outranks the COO?"
COO_ANSWER = "Chief Executive Officer ranks above the COO"
COO_TITLE = "CRO vs COO: Understanding Their Roles and Responsibilities"


def test_typing_shows_results_grouped_by_article_and_section(
    new_page: Any, service: Service, save_screenshot: Any
) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    data = type_query(page, "CRO responsibilities")
    results = data["results"]
    assert results, "the fixture corpus should match this query"

    options = page.locator(OPTION)
    expect(options).to_have_count(len(results))
    expect(page.locator(INPUT)).to_have_attribute("aria-expanded", "true")

    # One heading per article, in the order of each article's best result.
    titles = page.locator("kb-search .article-title").all_inner_texts()
    expected_titles = list(dict.fromkeys(r["title"] for r in results))
    assert titles == expected_titles
    assert COO_TITLE in titles

    # One group per (article, section), labelled with the section's heading path.
    groups = page.locator("kb-search [role=listbox] [role=group]")
    expected_groups = list(dict.fromkeys((r["doc_id"], r["section"]) for r in results))
    expect(groups).to_have_count(len(expected_groups))
    labels = page.locator("kb-search .group-label").all_inner_texts()
    for (_, section), label in zip(expected_groups, labels, strict=True):
        if section:
            parts = [re.sub(r"^(?:Q|Question)\s*[:.]\s*", "", p) for p in section.split(" > ")]
            assert label == " › ".join(parts)
    for i in range(groups.count()):
        assert groups.nth(i).get_attribute("aria-labelledby")

    # Matched query terms are highlighted, and only words that match a term.
    marks = page.locator("kb-search mark.term").all_inner_texts()
    assert marks, "no matched term was highlighted"
    for word in marks:
        w = word.lower()
        assert w.startswith(("cro", "responsib")) or "responsibilities".startswith(w), word

    page.keyboard.press("ArrowDown")
    save_screenshot(page, "search-light-desktop")

    # Every result links to its source view with the result's own offsets (in the order shown:
    # grouped by article, then by section).
    links = page.locator("kb-search [role=option] a.option-link")
    articles = list(dict.fromkeys(r["doc_id"] for r in results))
    shown_order = sorted(
        results,
        key=lambda r: (articles.index(r["doc_id"]), expected_groups.index((r["doc_id"], r["section"]))),
    )
    for i, result in enumerate(shown_order):
        doc_id, start, end = view_params(links.nth(i).get_attribute("href") or "")
        assert (doc_id, start, end) == (result["doc_id"], result["start"], result["end"])


def test_enter_asks_and_open_in_context_lands_on_the_highlighted_range(
    new_page: Any, service: Service, api: httpx.Client
) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    data = ask(page, COO_QUESTION)

    answer = data["display"]
    assert answer and COO_ANSWER in answer and COO_ANSWER in data["answer"]
    expect(page.locator(ANSWER_TEXT)).to_have_text(answer)
    expect(page.locator("kb-search .confidence")).to_contain_text(
        re.compile(r"(High|Medium|Low) confidence · \d+%")
    )
    # Announced to screen readers.
    expect(page.locator(LIVE)).to_contain_text(f"Answer: {answer}")

    # The evidence: the first citation as displayed, with the answer located in it.
    first = data["citations"][0]
    hs, he = first["display_highlight"]
    evidence = page.locator(OPTION).first
    expect(evidence.locator("mark.answer-span")).to_have_text(first["display"][hs:he])
    expect(evidence.locator("mark.answer-span")).to_contain_text(COO_ANSWER)
    expect(evidence).to_contain_text(f"{first['title']} › ")

    link = evidence.get_by_role("link")
    expect(link).to_contain_text("Open in context")
    doc_id, start, end = view_params(link.get_attribute("href") or "")
    assert (doc_id, start, end) == (first["doc_id"], first["start"], first["end"])

    link.click()
    page.wait_for_url(re.compile(r"/documents/[^/]+/view\?"))
    cited = page.locator("mark#kb-cited")
    marked = " ".join(page.locator("article.doc mark").all_inner_texts())
    text = api.get(f"/documents/{doc_id}").json()["text"]
    assert " ".join(marked.split()) == " ".join(text[start:end].split())
    assert COO_ANSWER in " ".join(marked.split())
    expect(cited).to_be_in_viewport()
    expect(cited).to_be_focused()
    assert page.dialogs == []


def test_keyboard_flow(new_page: Any, service: Service) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    wait_defined(page)
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_hidden()

    # "/" anywhere on the page opens the widget with the search field focused; Esc closes it
    # and gives focus back to the button that opened it.
    page.keyboard.press("/")
    expect(dialog).to_be_visible()
    assert page.evaluate(ACTIVE_IN_WIDGET)["role"] == "combobox"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert "trigger" in page.evaluate(ACTIVE_IN_WIDGET)["cls"]

    # The dialog is modal: Tab cycles through its own controls only; a click outside closes it.
    page.keyboard.press("/")
    page.keyboard.press("Tab")
    assert "ask" in page.evaluate(ACTIVE_IN_WIDGET)["cls"]
    page.keyboard.press("Tab")
    assert "close" in page.evaluate(ACTIVE_IN_WIDGET)["cls"]
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE_IN_WIDGET)["role"] == "combobox"
    page.keyboard.press("Shift+Tab")
    assert "close" in page.evaluate(ACTIVE_IN_WIDGET)["cls"]
    page.mouse.click(5, 700)
    expect(dialog).to_be_hidden()

    # Ctrl+K opens it too (and toggles it closed).
    page.keyboard.press("Control+k")
    expect(dialog).to_be_visible()
    page.keyboard.press("Control+k")
    expect(dialog).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(dialog).to_be_visible()

    # Typing "/" in a field of the host page types a slash; it does not steal focus.
    page.keyboard.press("Escape")
    page.evaluate(
        "() => { const i = document.createElement('input'); i.id = 'host-field';"
        " document.querySelector('main').prepend(i); }"
    )
    page.locator("#host-field").click()
    page.keyboard.type("a/b")
    expect(page.locator("#host-field")).to_have_value("a/b")
    expect(dialog).to_be_hidden()

    # Arrows move through the results (aria-activedescendant follows), Enter opens the active one.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    expect(page.locator(INPUT)).to_be_focused()
    type_query(page, "COO daily operations")
    box = page.locator(INPUT)
    options = page.locator(OPTION)
    assert options.count() >= 2
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id") or "")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id") or "")
    expect(box).to_be_focused()  # focus stays in the combobox while arrows move

    # Editing the text drops the selection: Enter then asks the new text.
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.type(" ")
    expect(page.locator("kb-search [role=option][aria-selected=true]")).to_have_count(0)
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    with page.expect_response(lambda r: r.url.endswith("/ask")):
        page.keyboard.press("Enter")
    expect(page.locator("kb-search .answer")).to_be_visible()
    assert "/documents/" not in page.url

    # After asking, the arrows move through the cited passages; Enter opens the active one.
    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    href = options.nth(0).locator("a").get_attribute("href") or ""
    doc_id, start, end = view_params(href)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/documents/{doc_id}/view\?start={start}&end={end}"))
    expect(page.locator("mark#kb-cited")).to_be_in_viewport()
    assert page.dialogs == []


def test_off_topic_question_shows_the_abstention_view(new_page: Any, service: Service) -> None:
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    data = ask(page, "what is the wifi password")
    assert data["answer"] is None
    expect(page.locator(ABSTAIN_TITLE)).to_have_text("Not covered by the knowledge base")
    expect(page.locator(ANSWER_TEXT)).to_have_count(0)
    expect(page.locator("kb-search mark.answer-span")).to_have_count(0)
    expect(page.locator(LIVE)).to_contain_text("Not covered by the knowledge base")
    if data["reason"]:
        expect(page.locator("kb-search .abstain-reason")).to_contain_text(data["reason"])
    # The closest passages are still offered, as "Related".
    expect(page.locator(OPTION)).to_have_count(len(data["citations"]))
    if data["citations"]:
        expect(page.locator("kb-search [role=group][aria-label=Related]")).to_be_visible()


def test_character_references_show_as_characters_and_stay_text(new_page: Any, service: Service) -> None:
    # fixtures/corpus/canteen.txt was copied from a web page: "canteen&#8217;s", "Tea &amp; coffee",
    # "&lt;G&gt;". The API returns it verbatim; the widget shows the characters, as text.
    page = new_page()
    page.goto(service.base_url + "/")
    open_widget(page)
    data = ask(page, "when is the canteen hot counter open?")
    assert data["answer"] is not None and "canteen&#8217;s" in data["answer"], data
    expect(page.locator(ANSWER_TEXT)).to_contain_text("The staff canteen\u2019s hot counter is open")
    expect(page.locator("kb-search mark.answer-span")).to_contain_text("canteen\u2019s hot counter")

    results = type_query(page, "allergen labels gluten")
    assert any("&lt;G&gt;" in r["excerpt"] for r in results["results"])
    listbox = page.locator("kb-search [role=listbox]")
    expect(listbox).to_contain_text("the codes <G> for gluten and <N> for nuts \u2013 ask")
    shown = listbox.inner_text()
    assert "&lt;" not in shown and "&#8211;" not in shown
    # "<G>" stayed text: no element was made of it.
    made = "() => document.querySelector('kb-search').shadowRoot.querySelectorAll('g, n').length"
    assert page.evaluate(made) == 0


def test_host_page_css_does_not_leak_in_and_theme_attribute_overrides_scheme(
    new_page: Any, service: Service
) -> None:
    # The demo page styles every <button> uppercase and every <mark> hot pink.
    page = new_page(color_scheme="dark")
    page.goto(service.base_url + "/")
    open_widget(page)
    ask_button = page.locator("kb-search .ask")
    assert ask_button.evaluate("b => getComputedStyle(b).textTransform") == "none"

    dialog = page.locator(DIALOG)
    dark_bg = dialog.evaluate("d => getComputedStyle(d).backgroundColor")
    assert dark_bg == "rgb(23, 27, 33)"  # --kb-bg of the dark theme, from prefers-color-scheme
    page.locator("kb-search").evaluate("w => w.setAttribute('theme', 'light')")
    assert dialog.evaluate("d => getComputedStyle(d).backgroundColor") == "rgb(255, 255, 255)"
    # A host page can re-theme it through custom properties.
    page.locator("kb-search").evaluate("w => w.style.setProperty('--kb-bg', 'rgb(1, 2, 3)')")
    assert dialog.evaluate("d => getComputedStyle(d).backgroundColor") == "rgb(1, 2, 3)"

    type_query(page, "CRO responsibilities")
    mark_bg = page.locator("kb-search mark.term").first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert mark_bg != "rgb(255, 105, 180)"  # not the host page's hotpink


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("label", "width", "height"), [("desktop", 1280, 800), ("320px", 320, 640)])
def test_screenshots(
    new_page: Any, service: Service, save_screenshot: Any, scheme: str, label: str, width: int, height: int
) -> None:
    page = new_page(width=width, height=height, color_scheme=scheme)
    page.goto(service.base_url + "/")
    wait_defined(page)
    assert no_horizontal_overflow(page), "the demo page overflows horizontally"
    trigger_box = page.locator("kb-search .trigger").bounding_box()
    assert trigger_box and trigger_box["x"] >= 0 and trigger_box["x"] + trigger_box["width"] <= width
    save_screenshot(page, f"home-{scheme}-{label}")

    open_widget(page)
    data = ask(page, COO_QUESTION)
    assert data["answer"]
    dialog_box = page.locator(DIALOG).bounding_box()
    assert dialog_box and dialog_box["width"] <= width
    if width <= 560:
        # Full screen on narrow screens: the search field and the Ask button both fit.
        for part in ("input[role=combobox]", ".ask", ".close"):
            box = page.locator(f"kb-search {part}").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, part
    save_screenshot(page, f"answer-{scheme}-{label}")

    page.locator(OPTION).first.get_by_role("link").click()
    expect(page.locator("mark#kb-cited")).to_be_in_viewport()
    assert no_horizontal_overflow(page), "the source view overflows horizontally"
    save_screenshot(page, f"source-view-{scheme}-{label}")
