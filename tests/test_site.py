"""The demo page's title and example questions (service/qa/site.py, routes/widget.py fill_home)."""

from __future__ import annotations

from indexer.models import Block, BlockKind, Document
from service.api.routes.widget import fill_home
from service.qa.site import DEFAULT_TITLE, Site, site_of


def _doc(doc_id: str, title: str, groups: str = "") -> Document:
    return Document(doc_id, f"{doc_id}.md", title, "", "", {"groups": groups} if groups else {})


def _question(text: str) -> Block:
    return Block(BlockKind.QUESTION, 0, 1, heading_path=("FAQ", text))


BLOCKS = {
    "a": [_question("Q: How do I reset my password?"), _question("Where is the canteen?")],
    "b": [_question("How do I reset my password?"), _question("Who approves travel?")],
    "secret": [_question("What is the CEO's salary?"), _question("Who approves travel?")],
}
DOCS = [_doc("a", "IT help"), _doc("b", "Travel"), _doc("secret", "Pay", groups="hr")]


def test_the_catalog_entry_wins() -> None:
    site = site_of({"title": "Acme HR", "examples": ["How many leave days?", " "]}, DOCS, BLOCKS.__getitem__)
    assert site == Site("Acme HR", ("How many leave days?",))


def test_without_a_catalog_the_questions_most_documents_ask_come_first_then_titles() -> None:
    site = site_of(None, DOCS, BLOCKS.__getitem__)
    assert site.title == DEFAULT_TITLE
    # "reset my password" is asked by two public documents; the restricted one is never read.
    assert site.examples == (
        "How do I reset my password?",
        "Where is the canteen?",
        "Who approves travel?",
        "IT help",
    )


def test_the_page_is_filled_in_escaped() -> None:
    page = "<title>{{title}}</title><div>\n{{examples}}\n</div>"
    filled = fill_home(page, Site("R&D <wiki>", ('Is "x" > y?',)))
    assert "<title>R&amp;D &lt;wiki&gt;</title>" in filled
    assert (
        '<button type="button" data-q="Is &quot;x&quot; &gt; y?">Is &quot;x&quot; &gt; y?</button>' in filled
    )
