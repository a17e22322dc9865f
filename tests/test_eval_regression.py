"""No eval set may regress below its committed baseline (eval/baseline.json): the bundled corpus
and the unrelated knowledge bases, each indexed with the real model, judged as `kbqa eval-suite`
judges them (eval/suite.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from eval.dataset import load_dataset
from eval.runner import in_process_asker, measure, run
from eval.suite import TOLERANCE, load_baseline, regressions
from indexer.build import build_index
from indexer.embedding import Embedder
from service.qa.pipeline import QAPipeline

ROOT = Path(__file__).resolve().parents[1]
SETS = {s.name: s for s in load_baseline(ROOT / "eval" / "baseline.json")}
MAX_MEDIAN_WORDS = 40


@pytest.fixture(scope="module")
def pipeline_for(
    kb: QAPipeline,
    embedder: Embedder,
    load_kb: Callable[[Path], QAPipeline],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Path], QAPipeline]:
    """The pipeline over a set's corpus, indexed once however many sets read it."""
    loaded = {(ROOT / "corpus").resolve(): kb}

    def get(corpus: Path) -> QAPipeline:
        key = (ROOT / corpus).resolve()
        if key not in loaded:
            index = tmp_path_factory.mktemp(key.name) / "index"
            build_index(key, index, embedder)
            loaded[key] = load_kb(index)
        return loaded[key]

    return get


@pytest.mark.parametrize("name", sorted(SETS))
def test_eval_set_does_not_regress(name: str, pipeline_for: Callable[[Path], QAPipeline]) -> None:
    s = SETS[name]
    pipeline = pipeline_for(s.corpus)
    report = measure(run(load_dataset(ROOT / s.dataset), in_process_asker(pipeline)))
    assert regressions(vars(report), s.expected, TOLERANCE) == []
    assert report.median_answer_words <= MAX_MEDIAN_WORDS
