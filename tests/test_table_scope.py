"""Which rows of a table a question asks about: the pure rule on hand-made keys, then the same
rule read from a small indexed page (hashing embedder; the model is beside the point)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.store import read_index
from service.qa.knowledge import KnowledgeBase
from service.qa.table_scope import Interval, RowKey, key_range, question_numbers, row_keys, table_scope
from tests.fakes import HashingEmbedder


@pytest.mark.parametrize(
    ("rows", "keys"),
    [
        (["| Less than 1 year | 8 weeks |", "|1 to 3 years|16 weeks|"], ["Less than 1 year", "1 to 3 years"]),
        # Tab-separated, and a first column that does not tell the rows apart: with the next one.
        (
            ["Primary\t1–18\t100%", "Primary\t19–26\t50%", "Secondary\t1–2\t100%"],
            ["Primary 1–18", "Primary 19–26", "Secondary 1–2"],
        ),
        (["| a | 1 |", "| a | 1 |"], ["a", "a"]),  # nothing does: the first cell
        (["Voltage", "Weight"], ["Voltage", "Weight"]),
    ],
)
def test_the_key_is_the_first_cells_that_tell_the_rows_apart(rows: list[str], keys: list[str]) -> None:
    assert row_keys(rows) == keys


KEYS = (RowKey(frozenset({"car"})), RowKey(frozenset({"bike"})), RowKey(frozenset({"motorbik"})))


@pytest.mark.parametrize(
    ("asked", "rows", "expected"),
    [
        ({"rate", "bike"}, range(1, 2), 0.0),  # the row it names: no bonus over prose
        ({"rate", "bike"}, range(0, 1), -1.0),  # another row
        ({"rate", "bike"}, range(0, 3), 0.0),  # the whole table holds the named row and others
        ({"rate"}, range(0, 3), 1.0),  # names no row: the whole table answers
        ({"rate"}, range(2, 3), -1.0),  # ... and one row of it only in part
        ({"rate"}, range(0, 2), -1.0),  # ... as do two of three
        ({"car", "bike"}, range(0, 2), 0.0),  # two rows named, both held
    ],
)
def test_table_scope(asked: set[str], rows: range, expected: float) -> None:
    assert table_scope(asked, [], KEYS, rows) == expected


def test_a_table_of_one_row_tells_nothing() -> None:
    assert table_scope({"rate"}, [], KEYS[:1], range(0, 1)) == 0.0
    assert table_scope({"car"}, [], KEYS[:1], range(0, 1)) == 0.0


@pytest.mark.parametrize(
    ("key", "inside", "outside"),
    [
        ("Less than 1 year", [0, 0.5], [1, 2]),
        ("1 to 3 years", [1, 2, 3], [0.5, 4]),
        ("19–26", [19, 26], [18, 27]),
        ("More than 3 years", [3.5, 40], [3]),
        ("up to 10 km", [10], [11]),
        ("65+", [65, 90], [64]),
    ],
)
def test_a_key_that_is_a_range(key: str, inside: list[float], outside: list[float]) -> None:
    span = key_range(key)
    assert span is not None
    assert all(x in span for x in inside) and not any(x in span for x in outside)


def test_keys_without_a_range_and_question_numbers() -> None:
    assert key_range("Private e-bike") is None
    assert key_range("Less than 1 year") == Interval(-math.inf, 1, True, True)
    assert question_numbers("half-paid leave after five years, weeks 19-26, 2.5 km") == [5, 19, 26, 2.5]


def test_a_number_in_a_rows_range_names_that_row_over_shared_words() -> None:
    # Every key says "year": the terms name all three rows, the number only the one it falls in.
    service = [
        RowKey(frozenset({"year"}), Interval(-math.inf, 1, True, True)),
        RowKey(frozenset({"year"}), Interval(1, 3)),
        RowKey(frozenset({"year"}), Interval(3, math.inf, True, True)),
    ]
    assert table_scope({"year", "leav"}, [5.0], service, range(2, 3)) == 0.0
    assert table_scope({"year", "leav"}, [5.0], service, range(1, 2)) == -1.0
    assert table_scope({"year", "leav"}, [], service, range(1, 2)) == 0.0  # no number: all named
    assert table_scope({"leav"}, [], service, range(0, 3)) == 1.0  # names none: the whole table


PAGE = """# Parental Leave

## Leave entitlement

The length of parental leave depends on how long you have worked here.

| Length of service | Fully paid leave | Half-paid leave |
| --- | --- | --- |
| Service under 1 year | 8 weeks | 4 weeks |
| Service of 1 to 3 years | 16 weeks | 8 weeks |
| Service over 3 years | 20 weeks | 12 weeks |
"""


def test_row_keys_leave_out_the_words_every_row_shares(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "leave.md").write_text(PAGE, encoding="utf-8")
    build_index(corpus, tmp_path / "index", HashingEmbedder())
    kb = KnowledgeBase(read_index(tmp_path / "index"))
    tables = {kb.span_text(c): t for c, t in zip(kb.candidates, kb.table_rows, strict=True) if t is not None}
    keys, rows = tables["| Service of 1 to 3 years | 16 weeks | 8 weeks |"]
    assert len(keys) == 3 and rows == range(1, 2)
    assert all("year" in key.terms for key in keys)  # "year" is in every key, not in the header
    assert not any("servic" in key.terms for key in keys)  # in every key, but also in the header
    assert [key.span for key in keys] == [
        Interval(-math.inf, 1, True, True),
        Interval(1, 3),
        Interval(3, math.inf, True, True),
    ]
    whole = next(t for text, t in tables.items() if text.count("\n") == 2)
    assert whole[1] == range(0, 3)
    # A question naming no row asks for the whole table; one naming "years" asks for the rows.
    assert table_scope(kb.analyzer.analyze("how long is parental leave").coverage_terms, [], *whole) == 1.0
    asked = kb.analyzer.analyze("parental leave after two years").coverage_terms
    assert table_scope(asked, [2.0], *tables["| Service of 1 to 3 years | 16 weeks | 8 weeks |"]) == 0.0
    assert table_scope(asked, [2.0], *tables["| Service over 3 years | 20 weeks | 12 weeks |"]) == -1.0
    # Sentences are no table rows.
    sentence = next(i for i, c in enumerate(kb.candidates) if kb.span_text(c).startswith("The length"))
    assert kb.table_rows[sentence] is None
