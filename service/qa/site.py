"""What the demo page says about the knowledge base it serves: a title and example questions,
from the corpus catalog's `"_knowledge_base": {"title": ..., "examples": [...]}` entry when there
is one, else the FAQ questions that most documents ask (then document titles). Only documents
that everyone may read are drawn from. Pure functions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from indexer.models import Block, BlockKind, Document

CATALOG_KEY = "_knowledge_base"
DEFAULT_TITLE = "Knowledge base"
MAX_EXAMPLES = 4
MAX_EXAMPLE_CHARS = 90
# Documents whose questions are read for examples; a large corpus is sampled from its start.
MAX_DOCUMENTS_READ = 200


@dataclass(frozen=True)
class Site:
    title: str = DEFAULT_TITLE
    examples: tuple[str, ...] = ()


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _clean(text: str) -> str:
    text = re.sub(r"^(?:Q|Question)\s*[:.]\s*", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(text.strip("*_# ").split())


def faq_questions(documents: Sequence[Document], blocks_of: Callable[[str], Sequence[Block]]) -> list[str]:
    """FAQ question lines, those asked by most documents first (then in corpus order)."""
    first_seen: dict[str, str] = {}
    asked_by: Counter[str] = Counter()
    for doc in documents[:MAX_DOCUMENTS_READ]:
        keys: set[str] = set()
        for block in blocks_of(doc.doc_id):
            if block.kind is BlockKind.QUESTION and block.heading_path:
                question = _clean(block.heading_path[-1])
                if question and len(question) <= MAX_EXAMPLE_CHARS:
                    key = _key(question)
                    first_seen.setdefault(key, question)
                    keys.add(key)
        asked_by.update(keys)
    order = list(first_seen)
    ranked = sorted(order, key=lambda k: (-asked_by[k], order.index(k)))
    return [first_seen[k] for k in ranked]


def site_of(
    catalog_entry: Mapping[str, object] | None,
    documents: Sequence[Document],
    blocks_of: Callable[[str], Sequence[Block]],
) -> Site:
    """The title and example questions of the knowledge base."""
    public = [d for d in documents if not d.groups]
    entry = catalog_entry or {}
    title = entry.get("title")
    given = entry.get("examples")
    examples: list[str] = []
    if isinstance(given, list):
        examples = [str(e).strip() for e in given if str(e).strip()][:MAX_EXAMPLES]
    if not examples:
        examples = faq_questions(public, blocks_of)[:MAX_EXAMPLES]
        titles = [d.title for d in public if d.title and len(d.title) <= MAX_EXAMPLE_CHARS]
        examples += [t for t in titles if _key(t) not in {_key(e) for e in examples}]
        examples = examples[:MAX_EXAMPLES]
    return Site(
        str(title).strip() if isinstance(title, str) and title.strip() else DEFAULT_TITLE, tuple(examples)
    )
