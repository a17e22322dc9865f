"""Questions made unanswerable by swapping one name or number (training.perturb): which phrases
count as anchors, what may replace them, and the groups drawn from the swapped questions.
Pure functions on tiny inline texts, checked by hand."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from training.config import TrainConfig
from training.pairs import Example, make_group
from training.perturb import anchors, perturb_question, perturbed
from training.train import parse_args

ANSWER = "Madonna moved to New York City in 1978 to pursue a career in dance."
PARAGRAPH = (
    "Madonna was born in Bay City, Michigan.",
    ANSWER,
    "She performed as a backup dancer for other artists.",
)
DONORS = ("In 1985 the singer toured with Cyndi Lauper through Tokyo.",)


def test_anchors_are_names_and_numbers_not_question_words() -> None:
    found = anchors("When did Madonna move to New York City in 1978?", skip_first=True)
    assert [(p, k) for p, _, _, k in found] == [
        ("Madonna", "name"),
        ("New York City", "name"),
        ("1978", "number"),
    ]
    assert [(s, e) for _, s, e, _ in found] == [(9, 16), (25, 38), (42, 46)]
    # A question opening with a name keeps it; a question word is dropped from the front of one.
    assert anchors("Beyoncé released which album?", skip_first=True)[0][0] == "Beyoncé"
    assert [p for p, *_ in anchors("Which Madonna album came first?", skip_first=True)] == ["Madonna"]
    assert [p for p, *_ in anchors("As of 3/3/2016, how many?", skip_first=True)] == []  # a date, not a count


def test_a_shared_name_is_swapped_for_a_donor_name_the_paragraph_never_says() -> None:
    question = "When did Madonna move to New York City?"
    out = perturb_question(question, " ".join(PARAGRAPH), ANSWER, DONORS, random.Random(3))
    # "In" opens the donor sentence (capitalised for that) and "1985" is a number, not a name.
    possible = {
        question.replace(old, new)
        for old in ("Madonna", "New York City")
        for new in ("Cyndi Lauper", "Tokyo")
    }
    assert out in possible


def test_a_shared_number_is_swapped_for_a_number() -> None:
    out = perturb_question("what happened in 1978", " ".join(PARAGRAPH), ANSWER, DONORS, random.Random(0))
    assert out == "what happened in 1985"


def test_nothing_to_swap_gives_none() -> None:
    rng = random.Random(0)
    assert perturb_question("why did she dance", " ".join(PARAGRAPH), ANSWER, DONORS, rng) is None
    # The only donor names are said by the paragraph, or are a longer form of the anchor.
    donors = ("Critics said Bay City and Madonna Louise Ciccone were famous.",)
    assert perturb_question("When did Madonna move?", " ".join(PARAGRAPH), ANSWER, donors, rng) is None


def _example(qid: str, question: str = "When did Madonna move to New York City?") -> Example:
    return Example(qid, question, "Madonna", PARAGRAPH, 1, tuple(("Tours", t) for t in DONORS * 4))


def test_perturbed_takes_a_seeded_share_and_puts_the_former_answer_first() -> None:
    examples = [_example(f"q{i}") for i in range(8)] + [_example("x", "why did she dance")]
    examples.append(Example("page", "q", "", ("unit",), 0, (), structured=True))
    swapped = perturbed(examples, 1.0, random.Random(1))
    assert len(swapped) == 8  # every SQuAD example with something to swap; never a page
    for e in swapped:
        assert e.qid.endswith("/swap") and e.positive == -1 and not e.structured
        assert e.question != "When did Madonna move to New York City?"
        assert e.sentences == (ANSWER, PARAGRAPH[0], PARAGRAPH[2])
    assert len(perturbed(examples, 0.5, random.Random(1))) <= 5
    assert perturbed(examples, 0.0, random.Random(1)) == []


def test_a_swapped_group_always_shows_the_former_answer_and_has_no_positive() -> None:
    (example,) = perturbed([_example("q")], 1.0, random.Random(2))
    for seed in range(10):
        group = make_group(example, random.Random(seed), size=5, title_rate=0.5, window_rate=0.2)
        assert group.positive == -1 and len(group.candidates) == 5
        assert sum(ANSWER in c for c in group.candidates) == 1
        assert sum(DONORS[0] in c for c in group.candidates) >= 2  # the rest of the group: retrieval hits


def test_the_rate_is_a_share_left_out_of_the_shipped_settings() -> None:
    assert "perturbed_rate" not in TrainConfig(squad=Path("s"), out=Path("o")).settings()
    assert TrainConfig(squad=Path("s"), out=Path("o"), perturbed_rate=0.2).settings()["perturbed_rate"] == 0.2
    with pytest.raises(SystemExit):
        parse_args(["--squad", "s.json", "--out", "o", "--perturbed-rate", "1.5"])
    assert parse_args(["--squad", "s.json", "--out", "o", "--perturbed-rate", "0.2"]).perturbed_rate == 0.2
