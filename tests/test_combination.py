"""The answer-model fit (training/combination.py) and its SQuAD knowledge base
(training/squad_kb.py), on tiny hand-made data: answer offsets land on the answer text, the
conditional-logit objective's gradient is the true one, and the fit moves the weights it can
inform while the held-fixed ones keep their hand-set values."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from scipy.optimize import check_grad

from service.qa.features import DEFAULT_WEIGHTS, READER_FEATURE
from service.qa.selection import Pool
from training import combination
from training.squad import Answer, Article, Paragraph, Question
from training.squad_kb import KbQuestion, _located, article_text, near_misses


def _article() -> Article:
    first = "  The kettle is descaled monthly. Cups go on the top rack."
    second = "Visitors park at the front."
    return Article(
        "Office_guide",
        (
            Paragraph(
                first,
                (
                    Question(
                        "q1",
                        "how often is the kettle descaled?",
                        (Answer("monthly", first.index("monthly")),),
                    ),
                ),
            ),
            Paragraph(
                second,
                (
                    Question(
                        "q2",
                        "where do visitors park?",
                        (Answer("at the front", second.index("at the front")),),
                    ),
                ),
            ),
        ),
    )


def test_answers_are_located_in_the_written_text() -> None:
    article = _article()
    text, starts = article_text(article)
    assert text.startswith("# Office guide\n\n")  # the title as a heading, underscores read as spaces
    questions = _located(article, starts, text)
    found = {q.id: q for q in questions}
    ((s, e),) = found["q1"].answers
    assert text[s:e] == "monthly"  # the paragraph's leading spaces are stripped, offsets follow
    ((s, e),) = found["q2"].answers
    assert text[s:e] == "at the front"
    assert {q.doc_id for q in questions} == {"office-guide"}


def test_the_objective_gradient_is_exact() -> None:
    rng = np.random.default_rng(3)
    n = len(combination.NAMES)
    data = [(rng.normal(size=(5, n)), np.array([0, 1, 0, 1, 0], dtype=float)) for _ in range(4)]
    prior = rng.normal(size=n)
    w = rng.normal(size=n)
    error = check_grad(
        lambda v: combination._objective(v, data, prior)[0],
        lambda v: combination._objective(v, data, prior)[1],
        w,
    )
    assert error < 1e-5


def test_one_right_candidate_of_two_costs_log_two_at_equal_scores() -> None:
    n = len(combination.NAMES)
    x = np.zeros((2, n))  # both candidates alike: p = 1/2 each
    loss, _ = combination._objective(np.zeros(n), [(x, np.array([1.0, 0.0]))], np.zeros(n))
    assert abs(loss - np.log(2)) < 1e-9


def test_the_fit_trusts_a_feature_that_picks_the_right_span_and_holds_the_fixed_ones() -> None:
    """Three candidates a question; the right one is the one the reranker scores highest, while
    similarity is noise. The reranker's weight must rise from 0; `overflow` stays."""
    rng = np.random.default_rng(7)
    records = []
    for _ in range(40):
        features = {name: rng.normal(size=3) * 0.1 for name in combination.NAMES}
        right = np.zeros(3, dtype=bool)
        right[rng.integers(3)] = True
        features[READER_FEATURE] = np.where(right, 2.0, -2.0) + rng.normal(size=3) * 0.5
        pool = Pool([0, 1, 2], [None] * 3, features)  # type: ignore[list-item]  # rows only
        records.append(SimpleNamespace(pool=pool, right=right))
    weights = combination.fit_weights(records, depth=3)  # type: ignore[arg-type]  # the fields it reads
    assert weights[READER_FEATURE] > 0.5
    for name in combination.HELD_FIXED:
        assert weights[name] == 10 * DEFAULT_WEIGHTS[name]


def test_a_near_miss_is_a_question_not_sampled_with_its_answers_hidden() -> None:
    article = _article()
    text, starts = article_text(article)
    found = _located(article, starts, text)
    sampled = [q for q in found if q.id == "q1"]
    (near,) = near_misses(found, sampled, 5, random.Random(0))
    assert near.id == "q2/near" and not near.answerable
    ((s, e),) = near.hidden
    assert text[s:e] == "at the front"


def test_a_near_miss_hides_every_passage_that_holds_its_answer() -> None:
    text = (
        "# Guide\n\nVisitors park at the front.\n\nDeliveries go to the back.\n\n"
        "Staff park at the front too.\n"
    )
    bounds = [(10, 37), (39, 65), (67, 95)]
    chunks = [SimpleNamespace(chunk_id=i, doc_id="guide", start=s, end=e) for i, (s, e) in enumerate(bounds)]
    other = SimpleNamespace(chunk_id=3, doc_id="other", start=0, end=20)
    kb = SimpleNamespace(documents={"guide": SimpleNamespace(text=text)}, chunks=[*chunks, other])
    answer = text.index("at the front")
    near = KbQuestion("q/near", "where do visitors park?", "guide", (), ((answer, answer + 12),))
    visible = combination.hidden_passages(kb, near)  # type: ignore[arg-type]
    # The passage with the answer and the one that repeats its text are hidden, the rest are not.
    assert visible is not None and visible.tolist() == [False, True, False, True]
    assert combination.hidden_passages(kb, KbQuestion("q", "where?", "guide", ((0, 1),))) is None  # type: ignore[arg-type]


def test_rewordings_from_several_files_keep_their_answers_and_distinct_ids(tmp_path: Path) -> None:
    asked = KbQuestion("q1", "how often is the kettle descaled?", "office-guide", ((10, 17),))
    first, second = tmp_path / "paraphrases.jsonl", tmp_path / "styles.jsonl"
    first.write_text('{"id": "q1", "question": "kettle descaling interval"}\n', encoding="utf-8")
    second.write_text(
        '{"id": "q1", "style": "yesno", "question": "is the kettle descaled every week?"}\n'
        '{"id": "other", "style": "keywords", "question": "parking front"}\n',
        encoding="utf-8",
    )
    out = combination.paraphrased([asked], [first, second])
    assert [(q.id, q.question) for q in out] == [
        ("q1/p", "kettle descaling interval"),
        ("q1/p1", "is the kettle descaled every week?"),
    ]
    assert all(q.answers == asked.answers and q.doc_id == asked.doc_id for q in out)


def test_the_depths_tried_stop_at_the_latency_cap() -> None:
    assert combination.candidate_depths() == [6, 8, 10, 12, 16, 20]
    assert combination.candidate_depths(6) == [6]
    assert combination.candidate_depths(11) == [6, 8, 10]
    assert combination.candidate_depths(4) == [4]  # below every listed depth: the cap itself
