"""The eval sets themselves: every evidence span is verbatim text of a corpus file (the source
file or, for generic questions, another article), ids are unique, kinds are known, and every
corpus file has a catalog entry."""

import json
import re
from pathlib import Path

import pytest

from eval.dataset import load_dataset
from indexer.corpus import read_corpus

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "dev": (ROOT / "eval" / "questions.jsonl", ROOT / "corpus"),
    "other_kb": (ROOT / "eval" / "other_kb" / "questions.jsonl", ROOT / "eval" / "other_kb" / "corpus"),
    "web_kb": (ROOT / "eval" / "web_kb" / "questions.jsonl", ROOT / "eval" / "web_kb" / "corpus"),
    "format_kb": (ROOT / "eval" / "format_kb" / "questions.jsonl", ROOT / "eval" / "format_kb" / "corpus"),
}
KINDS = {
    "faq",
    "paraphrase",
    "keyword",
    "typo",
    "comparison",
    "list",
    "detail",
    "definition",
    "unanswerable",
    "offtopic",
    "table",  # answered by a whole table: the question names none of its rows
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_eval_set_is_consistent_with_its_corpus(name: str) -> None:
    dataset, corpus = SETS[name]
    questions = load_dataset(dataset)
    docs = {p.name: p.read_text(encoding="utf-8") for p in corpus.iterdir() if p.suffix in (".txt", ".md")}
    catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8"))
    assert set(catalog) == set(docs)
    assert len({q.id for q in questions}) == len(questions)
    assert {q.kind for q in questions} <= KINDS
    for q in questions:
        if q.answerable:
            assert q.source in docs, q.id
            for span in q.evidence:
                assert any(span in text for text in docs.values()), (q.id, span[:60])


@pytest.mark.parametrize(
    ("dataset", "least", "unanswerable"), [("questions", 30, 5), ("table_questions", 8, 0)]
)
def test_intranet_sets_are_consistent_with_the_canonical_texts(
    dataset: str, least: int, unanswerable: int
) -> None:
    """The intranet fixture holds HTML, PDF and DOCX files: evidence is verbatim text of each
    document's canonical text (the line breaks of hard-wrapped files aside)."""
    # ("self-\nservice": a word wrapped at its hyphen)
    flat = lambda text: re.sub(r"(?<=\w)- (?=\w)", "-", re.sub(r"\s+", " ", text))  # noqa: E731
    folder = ROOT / "eval" / "intranet_kb"
    questions = load_dataset(folder / f"{dataset}.jsonl")
    docs = {d.path: flat(d.text) for d in read_corpus(folder / "corpus").documents}
    assert len({q.id for q in questions}) == len(questions) >= least
    assert {q.kind for q in questions} <= KINDS
    assert sum(not q.answerable for q in questions) >= unanswerable
    for q in questions:
        if q.answerable:
            assert q.source in docs, q.id
            for span in q.evidence:
                assert flat(span) in docs[q.source], (q.id, span[:60])
