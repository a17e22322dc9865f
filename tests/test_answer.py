import numpy as np
import pytest

from service.qa.answer_types import answer_type, is_fragment
from service.qa.extension import leans_on_previous, needs_next_sentence
from service.qa.features import (
    DEFAULT_WEIGHTS,
    FEATURE_NAMES,
    FEATURES,
    best_index,
    novelty,
    overflow,
    similarity_gated,
    span_scores,
)


def test_novelty_is_the_share_of_new_terms() -> None:
    assert novelty(["cso", "cro", "metric", "differ"], {"cso", "cro", "metric"}) == 0.25
    assert novelty([], {"x"}) == 0.0
    # Distinct terms: repeating a question word is one echo, not three.
    assert novelty(["report", "ceo", "report", "cro", "report"], {"report", "vp"}) == 2 / 3


def test_coverage_counts_in_proportion_below_the_similarity_gate() -> None:
    assert similarity_gated(0.8, 0.7) == 0.8  # about the question: shared words count in full
    assert similarity_gated(0.8, 0.25) == 0.4  # half the gate's similarity: half the credit
    assert similarity_gated(0.8, -0.1) == 0.0


def test_overflow_counts_tens_of_words_beyond_the_free_length() -> None:
    assert overflow(25) == 0.0
    assert overflow(45) == 2.0


@pytest.mark.parametrize(
    ("question", "span", "fragment", "both_sides", "expected"),
    [
        ("who leads budgeting?", "The Chief Financial Officer (CFO) leads it.", False, True, 1.0),
        ("who leads budgeting?", "budgeting is a plan of expected revenues.", False, True, 0.0),
        ("why was it created?", "It was created because teams kept clashing.", False, True, 1.0),
        ("what is budgeting?", "Budgeting is a plan.", False, True, 0.5),
        ("why did the role emerge?", "The clash fostered a new role.", False, True, 1.0),
        ("when does a firm need a CFO?", "Once revenue grows, a CFO helps.", False, True, 1.0),
        ("when does a firm need a CFO?", "A CFO manages finance.", False, True, 0.0),
        ("when was the role created?", "The role is new.", False, True, 0.0),
        ("when was the role created?", "It was created in 2009.", False, True, 1.0),
        ("how many towns joined?", "Close to 200 towns belonged to it.", False, True, 1.0),
        ("how many towns joined?", "It began in 1356.", False, True, 0.5),
        ("how many days can I work?", "They are paid at the daily rate.", False, True, 0.0),
        ("how many fish species live there", "More than 1,500 species of fish live there.", False, True, 1.0),
        ("how much does a gasket cost?", "Replace it every 6 to 12 months.", False, True, 0.0),
        ("how much does a gasket cost?", "A gasket costs about 8 USD.", False, True, 1.0),
        ("what percentage of firms have one?", "About 40 firms have one.", False, True, 0.0),
        ("what percentage of firms have one?", "About 40% of firms have one.", False, True, 1.0),
        ("What % of my salary am I paid in weeks 19-26?", "Weeks 19-26: 50% of salary", False, True, 1.0),
        ("how many weeks before I get parental pay?", "After 26 weeks of service.", False, True, 1.0),
        ("how long does the battery take to charge", "It charges in 45 minutes.", False, True, 1.0),
        ("how much does a VP earn?", "A VP earns 150,000 USD a year.", False, True, 1.0),
        ("what time must bins be out?", "Bins go out by 6 a.m. on collection day.", False, True, 1.0),
        ("what time must bins be out?", "Put out two bins each week.", False, True, 0.0),
        ("does a CFO sign contracts?", "The CFO signs contracts.", False, True, 1.0),
        ("does a CFO sign contracts?", "Contract signing", True, True, 0.0),
        ("CFO vs controller", "The CFO plans, while the controller reports.", False, True, 1.0),
        ("CFO vs controller", "Both roles matter.", False, True, 0.5),
        ("CFO vs controller", "The CCO plans, while the controller reports.", False, False, 0.0),
        ("what do the CFO and controller have in common", "Both report to the CEO.", False, True, 1.0),
        ("which apps need MFA", "MFA is needed for email, the VPN and all cloud apps.", False, True, 1.0),
        ("which apps need MFA", "MFA adds a second step to sign-in.", False, True, 0.5),
        ("which apps need MFA", "However, the CEO and the board decide.", False, True, 0.5),
        ("which metric does the CFO watch", "The CFO watches cash flow.", False, True, 0.5),
        ("how do I join the VPN?", "To connect, open the client and sign in.", False, True, 1.0),
        ("how do I join the VPN?", "Use the Connect button in the tray.", False, True, 1.0),
        ("how do I join the VPN?", "Access must be requested through a ticket.", False, True, 1.0),
        ("how do I join the VPN?", "The VPN encrypts: you approve a prompt.", False, True, 0.5),
        ("how to book a room", "Rooms are booked in Outlook; then pick a slot.", False, True, 1.0),
        ("how can I tell when it is ready?", "Use it when it is bubbly.", False, True, 0.5),
    ],
)
def test_answer_type(question: str, span: str, fragment: bool, both_sides: bool, expected: float) -> None:
    """A role for "who", a cause for "why", a condition for "when does", a date for "when was", a
    number (of the thing counted) for "how many", money for "what does it cost", a contrast for a
    comparison, a list for "which X", an instruction for "how do I"; 0.5 when the question asks for
    nothing in particular."""
    assert answer_type(question, span, fragment=fragment, both_sides=both_sides) == expected


def test_span_scores_are_the_weighted_sum_by_name() -> None:
    table = {name: np.zeros(2) for name in FEATURE_NAMES}
    table["similarity"] = np.array([1.0, 0.2])
    table["overflow"] = np.array([0.0, 2.0])
    weights = {**DEFAULT_WEIGHTS, "similarity": 0.6, "overflow": -0.03}
    assert span_scores(table, weights).tolist() == pytest.approx([0.6, 0.12 - 0.06])
    # Read by name: the order the table happens to list features in does not matter.
    reordered = dict(reversed(list(table.items())))
    assert span_scores(reordered, weights).tolist() == pytest.approx([0.6, 0.06])
    assert best_index(np.array([0.1, 0.3, 0.3])) == 1
    assert best_index(np.array([])) == -1


def test_every_feature_has_a_weight_and_a_reason() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    assert all(f.weight != 0.0 and f.why for f in FEATURES)


def test_sentences_that_lean_on_the_previous_one() -> None:
    assert leans_on_previous("The COO, on the other hand, manages operations.")
    assert leans_on_previous("However, the CRO's authority can vary.")
    assert leans_on_previous("They also maintain accountability for sales performance.")
    assert not leans_on_previous("The CRO reports to the CEO.")
    assert not leans_on_previous("Theory matters less than practice.")


def test_list_items_written_as_sentences_are_not_fragments() -> None:
    assert is_fragment("CRM systems and automation tools", statement=False)
    assert not is_fragment("Strategy: The VP sets the plan.", statement=False)
    assert not is_fragment("The VP sets the plan", statement=True)


def test_echoes_and_curt_sentences_need_the_next_sentence() -> None:
    assert needs_next_sentence("The metrics of a CSO and CRO differ.", novelty=0.2, single_sentence=True)
    assert needs_next_sentence("Avoid white vinegar.", novelty=0.9, single_sentence=True)
    assert not needs_next_sentence("Low light", novelty=0.9, single_sentence=False)  # a list item
    assert not needs_next_sentence(
        "Use citric acid, about 20 g per litre.", novelty=0.9, single_sentence=True
    )
