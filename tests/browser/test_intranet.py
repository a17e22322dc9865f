"""Issue 12's end-to-end check: `kbqa serve --corpus` on the intranet fixture (HTML with page
chrome, a PDF, a DOCX, wrapped text in nested folders: eval/intranet_kb/corpus) builds its index
and serves it; the demo page takes its title and examples from the fixture's catalog; answers
from the PDF and from the HTML page show clean text in the widget, with their source linked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, _offline_env, running_service
from tests.browser.widget_page import ANSWER_TEXT, OPTION, ask, open_widget

pytestmark = pytest.mark.browser

CORPUS = ROOT / "eval" / "intranet_kb" / "corpus"
# What must never reach a reader: tags, Markdown syntax, a hard wrap inside a sentence.
UNCLEAN = re.compile(r"<[a-z/!]|\||\*\*|\]\(|^#|\n(?=[a-z])", re.M)


@pytest.fixture(scope="module")
def intranet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("intranet")
    # No index yet: `serve --corpus` must build it before serving.
    args = ["--corpus", str(CORPUS), "--index", str(work / "index")]
    with running_service(args, _offline_env(), work / "serve.log") as base:
        assert (work / "index" / "current" / "manifest.json").is_file()
        yield base


def test_the_demo_page_is_the_served_knowledge_bases(new_page: Any, intranet: str) -> None:
    page = new_page()
    page.goto(intranet + "/")
    expect(page.locator("h1")).to_have_text("Northwind intranet")
    expect(page.locator(".try button")).to_have_count(3)
    expect(page.locator(".try button").first).to_have_text("How long can I work from abroad?")


@pytest.mark.parametrize(
    ("question", "fmt", "shown"),
    [
        ("how many days a year can I work from another country", "pdf", "up to 20 working days"),
        ("deadline for submitting expense claims", "html", "within 30 days of the expense"),
    ],
)
def test_answers_from_a_pdf_and_an_html_page_read_clean(
    new_page: Any, intranet: str, save_screenshot: Any, question: str, fmt: str, shown: str
) -> None:
    page = new_page()
    page.goto(intranet + "/")
    open_widget(page)
    data = ask(page, question)
    assert data["answer"] is not None, data
    first = data["citations"][0]
    assert first["format"] == fmt, first
    answer = page.locator(ANSWER_TEXT)
    expect(answer).to_contain_text(shown)
    assert not UNCLEAN.search(answer.inner_text()), answer.inner_text()
    evidence = page.locator(OPTION).first
    expect(evidence.locator("mark.answer-span")).to_contain_text(shown)
    assert "<" not in evidence.inner_text()
    save_screenshot(page, f"intranet-answer-{fmt}")
