"""Hard-wrapped text (plain-text exports, PDF extraction, wrapped Markdown, CRLF files) loses no
content sentence: wrapped lines are joined before the cleaner judges them, offsets stay exact,
and the cleaner only drops lines for a reason it names."""

from __future__ import annotations

import re
import textwrap

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from indexer.cleaning import NOISE_REASONS, clean_lines, flat
from indexer.sentences import split_sentences
from indexer.structure import parse_blocks

FACILITIES = """Parking and Access

There are 20 parking spaces in the underground garage for visitors and
for contractors who hold a day pass from reception. Staff park on levels
two and three and must display their permit at all times.

Passwords must be at least 14 characters long. Okta Verify is
required for every login from outside the office network, and a lost
phone must be reported to the IT Service Desk the same day.

The IT desk is open from 8:00 to 18:00 on weekdays and is
closed on public holidays. Urgent requests outside these hours go to
the on-call engineer through the emergency line, extension 4444.
"""

# pypdf-style extraction: narrow column, a line per visual line, a hyphenated word at a break.
PDF_EXTRACT = """Travel Expenses
Employees may book economy class for
flights under six hours. Business class
requires approval by the Head of
Finance before the trip is booked.
Hotel costs are reimbursed up to 180
euros per night in capital cities or
140 euros elsewhere, including break-
fast where it is offered.
"""


def content(text: str) -> str:
    return " ".join(flat(line.text) for line in clean_lines(text) if not line.is_noise)


def sentences_of(text: str) -> list[str]:
    """The sentences of each paragraph, on one line each (the source before wrapping)."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [p[s.start : s.end] for p in paragraphs for s in split_sentences(p) if p[s.end - 1] in ".!?"]


def test_no_sentence_of_hard_wrapped_text_is_lost() -> None:
    kept = content(FACILITIES)
    for sentence in sentences_of(FACILITIES):
        assert sentence in kept


def test_crlf_and_lone_cr_line_ends_lose_nothing() -> None:
    for eol in ("\r\n", "\r"):
        text = FACILITIES.replace("\n", eol)
        assert content(text) == content(FACILITIES)
        for line in clean_lines(text):
            assert text[line.start : line.end] == line.text


def test_pdf_extracted_column_keeps_every_sentence() -> None:
    kept = content(PDF_EXTRACT)
    for sentence in sentences_of(PDF_EXTRACT):
        assert sentence in kept
    assert not [line for line in clean_lines(PDF_EXTRACT) if line.noise in ("truncated", "fragment")]


def test_a_wrapped_sentence_is_one_sentence_unit() -> None:
    lines = clean_lines(FACILITIES)
    blocks = parse_blocks(FACILITIES, lines, "Parking and Access")
    units = [flat(FACILITIES[u.start : u.end]) for b in blocks for u in b.units]
    assert (
        "Okta Verify is required for every login from outside the office network, and a lost "
        "phone must be reported to the IT Service Desk the same day." in units
    )
    assert units[0].startswith("There are 20 parking spaces in the underground garage for visitors and for")


def test_wrapped_markdown_list_items_join_but_items_stay_apart() -> None:
    text = (
        "Bring to your first day:\n- your passport or an identity card issued by\n"
        "  an EU member state\n- a bank card\n"
    )
    got = [flat(line.text) for line in clean_lines(text) if not line.is_noise]
    assert got == [
        "Bring to your first day:",
        "- your passport or an identity card issued by an EU member state",
        "- a bank card",
    ]


def test_truncated_line_before_a_heading_is_not_joined_to_it() -> None:
    text = (
        "Keep your laptop on the network so that a laptop that has not checked in for 30 days is\n"
        "Getting Help\nThe IT Service Desk is open from 7:00 to 19:00.\n"
    )
    r = {flat(line.text): line.noise for line in clean_lines(text)}
    assert r["Getting Help"] is None
    assert r["The IT Service Desk is open from 7:00 to 19:00."] is None


def test_table_rows_are_not_joined() -> None:
    text = (
        "Flour type Protein content Best for\nBread flour 12–14% Open crumb, tall loaves\n"
        "Rye flour 8–10% Dense, tangy breads and starters\n\n"
        "Glass jars\tBlue\tRinse them\nNappies\tGrey\tWrap them\n"
    )
    assert all("\n" not in line.text for line in clean_lines(text))


WORDS = st.sampled_from(
    [
        "staff",
        "office",
        "laptop",
        "request",
        "approval",
        "manager",
        "policy",
        "leave",
        "week",
        "payroll",
        "badge",
        "floor",
        "desk",
        "contract",
        "budget",
        "travel",
        "hotel",
        "train",
        "meeting",
        "holiday",
        "pension",
        "team",
        "Berlin",
        "Okta",
        "HR",
        "Finance",
        "the",
        "for",
        "and",
        "or",
        "is",
        "of",
        "to",
        "in",
        "with",
        "by",
        "at",
        "on",
        "a",
        "an",
    ]
)
SENTENCES = st.lists(WORDS, min_size=5, max_size=18).map(lambda w: " ".join(w).capitalize() + ".")
PARAGRAPHS = st.lists(SENTENCES, min_size=1, max_size=5).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(PARAGRAPHS, min_size=1, max_size=4), st.integers(40, 100), st.sampled_from(["\n", "\r\n"]))
def test_wrapping_at_any_width_loses_no_sentence(paragraphs: list[str], width: int, eol: str) -> None:
    source = "\n\n".join(paragraphs)
    wrapped = "\n\n".join(textwrap.fill(p, width) for p in paragraphs).replace("\n", eol)
    physical = [line.strip() for line in wrapped.splitlines() if line.strip()]
    assume(len(set(physical)) == len(physical))  # a repeated line is noise by design (a promo printed twice)
    lines = clean_lines(wrapped)
    assert not [line for line in lines if line.noise in ("truncated", "fragment")]
    kept = " ".join(flat(line.text) for line in lines if not line.is_noise)
    for sentence in sentences_of(source):
        assert sentence in kept
    for line in lines:
        assert wrapped[line.start : line.end] == line.text


TEXT = st.lists(
    st.sampled_from(list("abcXYZ .,:;!?|#-*\t\r\n") + ["for ", "is ", "Home", "we use cookies", "Share"]),
    max_size=120,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_cleaning_only_drops_lines_for_a_named_reason(text: str) -> None:
    """Every non-blank character lies in exactly one line, verbatim; a dropped line names one
    of the known reasons."""
    lines = clean_lines(text)
    covered = [False] * len(text)
    for line in lines:
        assert text[line.start : line.end] == line.text
        assert line.noise is None or line.noise in NOISE_REASONS
        for i in range(line.start, line.end):
            assert not covered[i]
            covered[i] = True
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))


def test_a_table_header_ending_in_a_function_word_is_the_tables_header_not_a_truncated_line() -> None:
    text = (
        "Choosing flour\n\nFlour type Protein content Best for\nBread flour 12% Open crumb, tall loaves\n"
        "Rye flour 8% Dense, tangy breads\nSpelt flour 11% Nutty sandwich loaves\n"
    )
    lines = clean_lines(text)
    assert [line.noise for line in lines] == [None] * 5
    table = next(b for b in parse_blocks(text, lines, None) if b.kind.value == "table")
    assert table.lead_in is not None
    assert text[table.lead_in.start : table.lead_in.end] == "Flour type Protein content Best for"
    assert len(table.units) == 3
    # A paragraph cut short after "for" is still dropped as truncated.
    cut = "Heading\n\nIn conclusion, the CRO and the COO work together for\n\nA full sentence ends here."
    assert [line.noise for line in clean_lines(cut)] == [None, "truncated", None]
