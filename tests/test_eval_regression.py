"""No eval set may regress below its committed baseline (eval/baseline.json): the bundled corpus
and the three unrelated knowledge bases, each indexed with the real model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from eval.dataset import load_dataset
from eval.runner import in_process_asker, measure, run
from indexer.build import build_index
from indexer.embedding import Embedder
from service.qa.pipeline import QAPipeline

ROOT = Path(__file__).resolve().parents[1]
BASELINE = json.loads((ROOT / "eval" / "baseline.json").read_text(encoding="utf-8"))
TOLERANCE = 0.02  # one or two questions of slack for numerical noise across machines
MAX_MEDIAN_WORDS = 40


@pytest.mark.parametrize("name", sorted(BASELINE))
def test_eval_set_does_not_regress(
    name: str,
    kb: QAPipeline,
    embedder: Embedder,
    load_kb: Callable[[Path], QAPipeline],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    expected = BASELINE[name]
    pipeline = kb
    if (ROOT / expected["corpus"]).resolve() != (ROOT / "corpus").resolve():
        index = tmp_path_factory.mktemp(name) / "index"
        build_index(ROOT / expected["corpus"], index, embedder)
        pipeline = load_kb(index)
    report = measure(run(load_dataset(ROOT / expected["dataset"]), in_process_asker(pipeline)))
    assert report.answer_accuracy >= expected["answer_accuracy"] - TOLERANCE
    assert report.recall_at_5 >= expected["recall_at_5"] - TOLERANCE
    assert report.abstention_accuracy >= expected["abstention_accuracy"] - TOLERANCE
    assert report.false_abstentions <= expected["false_abstentions"] + TOLERANCE
    assert report.median_answer_words <= MAX_MEDIAN_WORDS
