"""The eval set must not regress below the committed baseline (eval/baseline.json)."""

import json
from pathlib import Path

from eval.dataset import DEFAULT_DATASET, load_dataset
from eval.runner import in_process_asker, measure, run

BASELINE = json.loads((Path(__file__).resolve().parents[1] / "eval" / "baseline.json").read_text())
TOLERANCE = 0.02  # one or two questions of slack for numerical noise across machines


def test_eval_does_not_regress(kb) -> None:  # type: ignore[no-untyped-def]
    report = measure(run(load_dataset(DEFAULT_DATASET), in_process_asker(kb)))
    assert report.answer_accuracy >= BASELINE["answer_accuracy"] - TOLERANCE
    assert report.recall_at_5 >= BASELINE["recall_at_5"] - TOLERANCE
    assert report.abstention_accuracy >= BASELINE["abstention_accuracy"] - TOLERANCE
    assert report.false_abstentions <= BASELINE["false_abstentions"] + TOLERANCE
    assert report.median_answer_words <= 40
