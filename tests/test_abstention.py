import numpy as np

from service.abstention import AbstentionModel, Signals, fit_logistic, pick_threshold


def test_logistic_fit_separates_separable_data() -> None:
    x = np.array([[0.1, 1.0], [0.2, 1.0], [0.8, 1.0], [0.9, 1.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    w = fit_logistic(x, y, l2=0.01)
    p = 1 / (1 + np.exp(-(x @ w)))
    assert (p[:2] < 0.5).all() and (p[2:] > 0.5).all()


def test_threshold_allows_the_stated_false_abstention_rate() -> None:
    conf = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.05])
    answerable = np.array([1, 1, 1, 1, 0, 0])
    # 4 answerable, 25% allowed -> the lowest answerable (0.2) may be declined; threshold just below 0.7
    assert 0.2 < pick_threshold(conf, answerable, 0.25) <= 0.7
    assert pick_threshold(conf, answerable, 0.0) <= 0.2


def test_confidence_is_a_probability() -> None:
    model = AbstentionModel((1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 0.5, -2.0))
    c = model.confidence(Signals(0.5, 0.5, 0.5, 0.5, 0.1, 1.0, 1.0))
    assert 0.0 < c < 1.0


def test_quantity_questions_need_a_quantity() -> None:
    from service.abstention import type_mismatch

    assert type_mismatch("how many people report to the VP?", "The VP manages the sales team.") == 1.0
    assert type_mismatch("how many people report to the VP?", "Usually eight sales managers.") == 0.0
    assert type_mismatch("when was the role created?", "It was created in 2009.") == 0.0
    assert type_mismatch("who leads budgeting?", "The CFO leads budgeting.") == 0.0
    assert type_mismatch("how much is the fee to upgrade?", "Upgrade to a 360-litre bin for a fee.") == 1.0
    assert type_mismatch("how much is the fee to upgrade?", "The upgrade costs $40.") == 0.0
