"""The abstention model: hand-computed confidences, the fit, the threshold rule, the model file."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from service.errors import AbstentionModelError
from service.qa.abstention import SIGNAL_NAMES, AbstentionModel, Signals, fit, pick_threshold
from service.qa.answer_types import type_mismatch


def _signals(similarity: float) -> Signals:
    return Signals(similarity, 0.5, 0.5, 1.0, 0.1)


def test_confidence_is_the_logistic_of_the_named_weights() -> None:
    weights = dict.fromkeys(SIGNAL_NAMES, 0.0) | {"span_similarity": 2.0, "type_mismatch": -3.0}
    model = AbstentionModel(weights, bias=-1.0)
    # z = -1 + 2 * 0.5 - 3 * 1 = -3
    assert model.confidence(Signals(0.5, 0.9, 0.9, 0.9, 0.9, type_mismatch=1.0)) == pytest.approx(
        1 / (1 + math.exp(3))
    )
    assert AbstentionModel.unfitted().confidence(_signals(0.9)) == 0.5


def test_the_fit_separates_answerable_from_unanswerable() -> None:
    signals = [_signals(s) for s in (0.1, 0.15, 0.2, 0.7, 0.8, 0.9)]
    model = fit(signals, [False, False, False, True, True, True])
    assert model.weights["span_similarity"] > 0
    confidence = [model.confidence(s) for s in signals]
    assert max(confidence[:3]) < model.threshold <= min(confidence[3:])


def test_threshold_allows_the_stated_false_abstention_rate() -> None:
    conf = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.05])
    answerable = np.array([1, 1, 1, 1, 0, 0])
    # 4 answerable, 25% allowed -> the lowest answerable (0.2) may be declined; threshold just below 0.7
    assert 0.2 < pick_threshold(conf, answerable, 0.25) <= 0.7
    assert pick_threshold(conf, answerable, 0.0) <= 0.2


def test_the_model_file_round_trips_and_a_stale_one_is_refused(tmp_path: Path) -> None:
    model = AbstentionModel(dict.fromkeys(SIGNAL_NAMES, 0.5), bias=-2.0, threshold=0.7)
    path = tmp_path / "abstention.json"
    path.write_text(model.to_json())
    assert AbstentionModel.from_file(path) == model
    stale = json.loads(path.read_text())
    stale["weights"]["rarest_missing"] = 1.0
    path.write_text(json.dumps(stale))
    with pytest.raises(AbstentionModelError, match="refit"):
        AbstentionModel.from_file(path)
    path.write_text("not json")
    with pytest.raises(AbstentionModelError, match="cannot read"):
        AbstentionModel.from_file(path)


@pytest.mark.parametrize(
    ("question", "span", "mismatch"),
    [
        ("how many people report to the VP?", "The VP manages the sales team.", 1.0),
        ("how many people report to the VP?", "Usually eight sales managers.", 0.0),
        ("when was the role created?", "It was created in 2009.", 0.0),
        ("who leads budgeting?", "The CFO leads budgeting.", 0.0),
        ("how much is the fee to upgrade?", "Upgrade to a 360-litre bin for a fee.", 1.0),
        ("how much is the fee to upgrade?", "The upgrade costs $40.", 0.0),
    ],
)
def test_quantity_questions_need_a_quantity(question: str, span: str, mismatch: float) -> None:
    assert type_mismatch(question, span) == mismatch
