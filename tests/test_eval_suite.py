"""`kbqa eval-suite`'s judgement and table (eval/suite.py), on hand-made figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.dataset import EvalQuestion
from eval.runner import Outcome, Report, measure
from eval.suite import Change, EvalSet, baseline_entry, changes, describe, load_baseline, regressions, table
from service.api.models import AskResponse

BASE = {"answer_accuracy": 0.80, "recall_at_5": 0.90, "abstention_accuracy": 0.75, "false_abstentions": 0.10}


def test_a_drop_within_the_tolerance_is_no_regression() -> None:
    measured = {
        "answer_accuracy": 0.79,
        "recall_at_5": 0.90,
        "abstention_accuracy": 0.74,
        "false_abstentions": 0.11,
    }
    assert regressions(measured, BASE, 0.02) == []


def test_a_drop_beyond_it_is_named_and_false_abstentions_count_upward() -> None:
    measured = {
        "answer_accuracy": 0.77,
        "recall_at_5": 0.95,
        "abstention_accuracy": 0.75,
        "false_abstentions": 0.13,
    }
    assert regressions(measured, BASE, 0.02) == ["answer_accuracy", "false_abstentions"]
    # Exactly at the tolerance is allowed (0.80 - 0.02 = 0.78 in floating point).
    assert regressions({**BASE, "answer_accuracy": 0.78}, BASE, 0.02) == []


def test_the_baseline_lists_each_set_with_its_paths_and_figures(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    entry = {"dataset": "q.jsonl", "corpus": "kb", "median_answer_words": 20.0, **BASE}
    path.write_text(json.dumps({"b": entry, "a": entry}))
    sets = load_baseline(path)
    assert [s.name for s in sets] == ["a", "b"]
    assert sets[0].corpus == Path("kb") and sets[0].dataset == Path("q.jsonl")
    assert sets[0].expected == {**BASE, "median_answer_words": 20.0}


def test_the_table_shows_each_measure_with_its_change() -> None:
    report = Report(
        n=10, answerable=8, unanswerable=2, answer_accuracy=0.875, recall_at_1=0.75, recall_at_3=0.875,
        recall_at_5=0.875, mrr=0.8, abstention_accuracy=1.0, false_abstentions=0.0,
        median_answer_words=12.0, latency_p50_ms=5.0, latency_p95_ms=9.0,
    )  # fmt: skip
    (header, line) = table([("kb", report, BASE)]).splitlines()
    assert header.split()[:3] == ["set", "n", "answer_accuracy"]
    assert line.split() == [
        "kb", "10", "0.875", "(+0.075)", "0.875", "(-0.025)",
        "1.000", "(+0.250)", "0.000", "(-0.100)", "12.0",
    ]  # fmt: skip
    # A set added to the baseline without figures yet: shown as new, judged against nothing.
    (_, line) = table([("kb", report, {})]).splitlines()
    assert line.split()[2:4] == ["0.875", "(new)"]
    assert regressions(vars(report), {}, 0.02) == []


def _outcome(qid: str, answerable: bool, answer: str | None) -> Outcome:
    evidence, source = (["The COO reports to the CEO."], "a.txt") if answerable else ([], None)
    question = EvalQuestion(id=qid, question="who?", answerable=answerable, evidence=evidence, source=source,
                            kind="detail")  # fmt: skip
    response = AskResponse(question="who?", answer=answer, display=answer, confidence=0.5, threshold=0.4,
                           reason=None, citations=[], took_ms=1.0)  # fmt: skip
    correct = answer is None if not answerable else answer == evidence[0]
    return Outcome(question, response, None, correct)


OUTCOMES = [
    _outcome("a1", True, "The COO reports to the CEO."),
    _outcome("a2", True, "Something else entirely."),
    _outcome("a3", True, None),
    _outcome("u1", False, None),
    _outcome("u2", False, "An answer to nothing."),
]


def test_each_question_keeps_its_outcome_and_the_rates_their_interval() -> None:
    report = measure(OUTCOMES)
    assert report.outcomes == {
        "a1": "right", "a2": "wrong", "a3": "declined", "u1": "declined", "u2": "answered",
    }  # fmt: skip
    # answer accuracy 1 of 3; abstention 1 of 2; false abstentions 1 of 3 (Wilson, z = 1.96)
    assert report.intervals["answer_accuracy"] == pytest.approx((0.0615, 0.7923), abs=1e-4)
    assert report.intervals["abstention_accuracy"] == pytest.approx((0.0945, 0.9055), abs=1e-4)
    assert report.intervals["false_abstentions"] == report.intervals["answer_accuracy"]
    line = next(row for row in report.table().splitlines() if row.startswith("answer accuracy"))
    assert line.endswith(" 0.333  (95% interval 0.061-0.792)")


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        ("wrong", "right", "fixed"),
        ("declined", "right", "fixed"),
        ("right", "declined", "broke"),
        ("wrong", "declined", "changed"),
        ("answered", "declined", "fixed"),  # an unanswerable question, now declined
        ("declined", "answered", "broke"),
    ],
)
def test_a_change_is_judged_by_what_should_have_happened(before: str, after: str, verdict: str) -> None:
    assert Change("q", before, after).verdict == verdict


def test_only_questions_of_both_runs_whose_outcome_differs_are_changes() -> None:
    before = {"a1": "wrong", "a2": "wrong", "u1": "declined"}
    after = {"a1": "right", "a2": "wrong", "u1": "answered", "new": "right"}
    found = changes(before, after)
    assert found == [Change("a1", "wrong", "right"), Change("u1", "declined", "answered")]
    assert describe("kb", found) == "kb: fixed a1 (wrong -> right); broke u1 (declined -> answered)"
    assert describe("kb", []) == "kb: fixed -; broke -"


def test_a_run_written_as_the_baseline_reads_back(tmp_path: Path) -> None:
    report = measure(OUTCOMES)
    eval_set = EvalSet("kb", Path("eval/kb/corpus"), Path("eval/kb/questions.jsonl"), {})
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"kb": baseline_entry(eval_set, report)}))
    (back,) = load_baseline(path)
    assert (back.corpus, back.dataset) == (eval_set.corpus, eval_set.dataset)
    assert back.outcomes == report.outcomes
    assert back.expected == {
        "answer_accuracy": 0.333, "recall_at_5": 0.0, "abstention_accuracy": 0.5,
        "false_abstentions": 0.333, "median_answer_words": 4.0,  # 6, 3 and 4 words
    }  # fmt: skip


# (answerable?, what the pipeline answered): the evidence, another text or nothing
CASES = st.lists(st.tuples(st.booleans(), st.sampled_from(["right", "wrong", "none"])), min_size=1)


@given(CASES)
def test_the_rates_agree_with_the_outcomes_and_lie_in_their_intervals(cases: list[tuple[bool, str]]) -> None:
    """Whatever the mix, the measures and the per-question outcomes tell the same story, and each
    rate lies inside its own 95% interval."""
    answers = {"right": "The COO reports to the CEO.", "wrong": "Something else.", "none": None}
    report = measure([_outcome(f"q{i}", answerable, answers[a]) for i, (answerable, a) in enumerate(cases)])
    labels = list(report.outcomes.values())
    answerable = [label for (asked, _), label in zip(cases, labels, strict=True) if asked]
    unanswerable = [label for (asked, _), label in zip(cases, labels, strict=True) if not asked]
    groups = {"answer_accuracy": answerable, "false_abstentions": answerable}
    groups["abstention_accuracy"] = unanswerable
    if answerable:
        assert report.answer_accuracy == answerable.count("right") / len(answerable)
        assert report.false_abstentions == answerable.count("declined") / len(answerable)
    if unanswerable:
        assert report.abstention_accuracy == unanswerable.count("declined") / len(unanswerable)
    for name, (low, high) in report.intervals.items():
        if groups[name]:
            assert low - 1e-9 <= vars(report)[name] <= high + 1e-9
