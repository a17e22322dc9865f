"""Structured-page training data (training/data/structured/) and the examples made from it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from indexer.corpus import CorpusOptions, read_corpus
from indexer.embedding import Embedder
from service.qa.pipeline import QAPipeline
from training.pairs import Example, make_group
from training.structured import kb_questions, load_page_questions, locate, page_examples

ROOT = Path(__file__).resolve().parent.parent / "training" / "data" / "structured"


def test_locate_finds_the_one_occurrence_whatever_the_spacing() -> None:
    text = "Fees\n\nA lost card costs 3 GBP.\nA damaged card costs\n5 GBP."
    assert locate(text, "A damaged card costs 5 GBP.") == (31, 58)
    assert locate(text, "A lost card costs 3 GBP.") == (6, 30)
    assert locate(text, "card costs") is None  # twice: which unit answers would be a guess
    assert locate(text, "A stolen card") is None


def test_questions_file_must_have_exactly_the_known_keys(tmp_path: Path) -> None:
    part = tmp_path / "p1"
    part.mkdir()
    good = {"id": "p1-d01-q01", "doc": "d01.md", "question": " fee? ", "answer": None, "style": "keywords"}
    (part / "questions.jsonl").write_text(json.dumps(good | {"unit": None}) + "\n\n", encoding="utf-8")
    [q] = load_page_questions(tmp_path)
    assert (q.part, q.path, q.question, q.answer) == ("p1", "p1/docs/d01.md", "fee?", None)
    (part / "questions.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="questions.jsonl:1"):
        load_page_questions(tmp_path)


def test_committed_answers_are_verbatim_text_of_their_pages() -> None:
    """Every answer is found exactly once in its page's canonical text (what the indexer reads,
    HTML chrome dropped), so it names one unit; pages are split between training and held out."""
    questions = load_page_questions(ROOT)
    docs = {d.path: d.text for d in read_corpus(ROOT, CorpusOptions(include=("*/docs/*",))).documents}
    answerable = [q for q in questions if q.answer]
    assert len({q.id for q in questions}) == len(questions) >= 2000
    assert len(questions) - len(answerable) >= 200
    missing = [q.id for q in answerable if locate(docs[q.path], q.answer or "") is None]
    assert len(missing) <= len(answerable) // 50, missing[:10]
    held = {q.path for q in questions if q.held_out}
    assert 0 < len(held) < len({q.path for q in questions}) // 3


def test_structured_groups_keep_their_candidates_verbatim() -> None:
    """Candidates of structured pages are formatted already: no title, no windows added."""
    texts = ("Fees > Cards: Lost: 3 GBP each.", "Fees > Cards: Cards are free!", "Fees: Pay at the desk.")
    example = Example("q", "lost card price", "", texts, 0, (), structured=True)
    for seed in range(20):
        group = make_group(example, random.Random(seed), size=3, title_rate=1.0, window_rate=1.0)
        assert sorted(group.candidates) == sorted(texts)
        assert group.candidates[group.positive] == texts[0]


def test_examples_read_units_as_serving_does(tmp_path: Path, embedder: Embedder) -> None:
    """The positive is the list item that holds the answer, read after its heading path and
    lead-in; no negative holds the answer text."""
    docs = tmp_path / "p1" / "docs"
    docs.mkdir(parents=True)
    (docs / "d01-library.md").write_text(
        "# Library cards\n\n## Fees\n\nThese charges apply to adult members:\n\n"
        "- A replacement card costs 2 GBP.\n- Overdue books cost 20p per day.\n\n"
        "## Opening hours\n\nThe library opens at 9:00 on weekdays. It closes at 18:00.\n",
        encoding="utf-8",
    )
    lines = [
        {"id": "a", "doc": "d01-library.md", "question": "how much if I lose my card", "style": "situation",
         "answer": "A replacement card costs 2 GBP.", "unit": "item"},
        {"id": "b", "doc": "d01-library.md", "question": "is the library open on sundays", "style": "yesno",
         "answer": None, "unit": None},
    ]  # fmt: skip
    (tmp_path / "p1" / "questions.jsonl").write_text("\n".join(map(json.dumps, lines)), encoding="utf-8")
    train, held, counts = page_examples(tmp_path, tmp_path / "work", embedder)
    [example] = train + held
    assert counts["questions"] == 1 and counts["not_found"] == 0
    assert example.structured and example.positive == 0
    assert example.sentences[0] == (
        "Library cards > Fees: These charges apply to adult members: A replacement card costs 2 GBP."
    )
    assert len(example.sentences) >= 3
    assert not any("replacement card costs" in s for s in example.sentences[1:])
    # The same questions as the answer-model fit asks them of the indexed pages.
    kb = QAPipeline.load(tmp_path / "work" / "structured-index", embedder).kb
    answerable, near_miss = kb_questions(tmp_path, kb)
    [(start, end)] = answerable.answers
    assert kb.documents[answerable.doc_id].text[start:end] == "A replacement card costs 2 GBP."
    assert (near_miss.question, near_miss.answers) == ("is the library open on sundays", ())
    # A training page's near miss is trained only when asked for: a group of its pool's units.
    assert counts["near_misses"] == 0 and counts["held_out_near_misses"] == 0
    train, _, counts = page_examples(tmp_path, tmp_path / "work", embedder, near_misses=True)
    [miss] = [e for e in train if e.positive < 0]
    assert counts["near_misses"] == 1 and miss.question == "is the library open on sundays"
    assert miss.structured and miss.sentences and example.sentences[0] in miss.sentences
