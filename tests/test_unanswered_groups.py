"""Training groups without an answer (near misses): how they are drawn and how they are scored.

Pure functions on tiny inline examples; the loss runs on a stand-in model (a fixed logit per
pair), since what is checked is the loss formula, not a network."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
import torch

from service.reranker import bundled_base_path, load_tokenizer
from training.config import TrainConfig
from training.dataset import unanswered
from training.loss import step_loss as _step_loss
from training.pairs import Example, Group, make_group
from training.train import parse_args
from training.validate import evaluate, rank_auc

RETRIEVED = tuple(
    (f"Article {i}", f"Retrieved sentence number {i} about something else entirely.") for i in range(9)
)
PARAGRAPH = (
    "The starter is fed with flour and water every day.",
    "A long cold proof gives the crumb its sour taste.",
    "Bakers in San Francisco made the style famous.",
)


def _squad_example(qid: str = "q1", positive: int = 1) -> Example:
    return Example(qid, "why is sourdough sour", "Sourdough", PARAGRAPH, positive, RETRIEVED)


def test_a_hidden_paragraph_group_reads_only_retrieval_hits() -> None:
    (example,) = unanswered([_squad_example()], 1.0, random.Random(0))  # its paragraph is hidden
    group = make_group(example, random.Random(0), size=5, title_rate=0.5, window_rate=0.2)
    assert group.positive == -1
    assert len(group.candidates) == 5
    retrieved_texts = {text for _, text in RETRIEVED}
    for candidate in group.candidates:
        assert any(text in candidate for text in retrieved_texts)
        assert not any(sentence in candidate for sentence in PARAGRAPH)


def test_a_page_near_miss_group_reads_its_pool_units() -> None:
    units = ("Refunds: within 14 days", "Opening hours: 9 to 5", "Parking: level -2", "Wi-Fi: ask reception")
    example = Example("p1", "is there a student discount", "", units, -1, (), structured=True)
    group = make_group(example, random.Random(1), size=3, title_rate=0.7, window_rate=0.2)
    assert group.positive == -1
    assert len(group.candidates) == 3
    assert set(group.candidates) <= set(units)


def test_unanswered_takes_a_seeded_share_of_squad_examples_only() -> None:
    examples = [_squad_example(f"q{i}") for i in range(20)]
    examples.append(Example("page", "q", "", ("unit",), 0, (), structured=True))
    chosen = unanswered(examples, 0.25, random.Random("seed"))
    assert len(chosen) == 5  # a quarter of the 20 SQuAD examples; the page example is never taken
    assert all(e.positive == -1 and e.sentences == () and e.qid.endswith("/none") for e in chosen)
    assert [e.qid for e in chosen] == [e.qid for e in unanswered(examples, 0.25, random.Random("seed"))]
    assert unanswered(examples, 0.0, random.Random("seed")) == []


class _FixedLogits(torch.nn.Module):
    """A stand-in model: each pair's logit is its (unpadded) token count / 10."""

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        return attention_mask.sum(dim=1).float() / 10.0


def _logits(tokenizer: Any, group: Group) -> list[float]:
    pairs = [(group.question, c) for c in group.candidates]
    return [sum(e.attention_mask) / 10.0 for e in tokenizer.encode_batch(pairs, add_special_tokens=True)]


def _bce(logit: float, label: float) -> float:
    p = 1.0 / (1.0 + math.exp(-logit))
    return -(label * math.log(p) + (1 - label) * math.log(1 - p))


def test_a_group_without_an_answer_adds_only_the_pointwise_loss() -> None:
    tokenizer = load_tokenizer(bundled_base_path(), 64)
    answered = Group(
        "who lays the eggs", ("the queen lays all eggs", "drones mate", "workers gather nectar"), 0
    )
    unanswered_group = Group("how much honey per hive", ("hives are inspected weekly", "bees dance"), -1)
    a, u = _logits(tokenizer, answered), _logits(tokenizer, unanswered_group)
    listwise = -a[0] + math.log(sum(math.exp(x) for x in a))  # softmax cross-entropy, positive 0
    pointwise = (
        sum(_bce(x, 1.0 if i == 0 else 0.0) for i, x in enumerate(a)) + sum(_bce(x, 0.0) for x in u)
    ) / 5
    loss = _step_loss(_FixedLogits(), tokenizer, [answered, unanswered_group])
    assert float(loss) == pytest.approx(listwise + pointwise, rel=1e-5)
    only_unanswered = _step_loss(_FixedLogits(), tokenizer, [unanswered_group])
    assert float(only_unanswered) == pytest.approx(sum(_bce(x, 0.0) for x in u) / 2, rel=1e-5)


def test_new_switches_leave_the_shipped_settings_unchanged() -> None:
    shipped = TrainConfig(squad=Path("s"), out=Path("o")).settings()
    assert "near_misses" not in shipped and "unanswerable_rate" not in shipped
    changed = TrainConfig(squad=Path("s"), out=Path("o"), unanswerable_rate=0.1).settings()
    assert changed["unanswerable_rate"] == 0.1


def test_near_misses_need_the_pages_and_the_rate_a_share() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--squad", "s.json", "--out", "o", "--near-misses"])
    with pytest.raises(SystemExit):
        parse_args(["--squad", "s.json", "--out", "o", "--unanswerable-rate", "1.5"])
    cfg = parse_args(["--squad", "s.json", "--out", "o", "--structured", "d", "--near-misses"])
    assert cfg.near_misses and cfg.structured == Path("d")


def test_rank_auc_by_hand() -> None:
    # Pairs: 0.9 beats 0.5 and 0.4; 0.4 loses to 0.5 and ties 0.4 (half): 2.5 of 4.
    assert rank_auc([0.9, 0.4], [0.5, 0.4]) == pytest.approx(0.625)
    assert rank_auc([1.0], [0.0, 0.5]) == 1.0


def test_validation_leaves_near_misses_out_of_top1_and_measures_their_auc() -> None:
    tokenizer = load_tokenizer(bundled_base_path(), 64)
    long_answer = (
        "The crumb tastes sour because lactic acid bacteria ferment the dough for many hours overnight."
    )
    answerable = [
        Example(f"a{i}", "why sour", "", (long_answer, "Short one."), 0, (), structured=True)
        for i in range(2)
    ]
    wrong_first = Example("a2", "why sour", "", ("Short one.", long_answer), 0, (), structured=True)
    misses = [
        Example(f"n{i}", "why sour", "", ("Tiny.", "Also tiny."), -1, (), structured=True) for i in range(3)
    ]
    out = evaluate(_FixedLogits(), tokenizer, [*answerable, wrong_first, *misses], retrieved=0)
    # The stand-in scores longer pairs higher: the long candidate wins each answerable pool.
    assert out["n"] == 3 and out["pool_top1"] == pytest.approx(2 / 3)
    assert out["near_misses"] == 3 and out["near_miss_auc"] == 1.0
    assert "near_miss_auc" not in evaluate(_FixedLogits(), tokenizer, answerable, retrieved=0)
