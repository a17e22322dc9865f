"""`kbqa eval-suite`'s judgement and table (eval/suite.py), on hand-made figures."""

from __future__ import annotations

import json
from pathlib import Path

from eval.runner import Report
from eval.suite import load_baseline, regressions, table

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
