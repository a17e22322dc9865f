"""Which rows of a table a question asks about. A question that names a row's key ("parental
leave after two years", "maximum torque") is answered by that row; one that names none ("how long
is parental leave", "what are the mileage rates") is answered by the whole table, and any one
row of it is a partial answer that reads as complete. Pure functions over terms."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def row_cells(row: str) -> list[str]:
    """The cells of a table row: `| a | b |` or `a<TAB>b`."""
    line = row.strip()
    if line.startswith("|"):
        return [cell.strip() for cell in line.strip("|").split("|")]
    return [cell.strip() for cell in line.split("\t")]


def row_keys(rows: Sequence[str]) -> list[str]:
    """Each row's key: its first cells, as many as it takes to tell the rows apart (a table of
    pay by caregiver and weeks is keyed by both, "Primary caregiver 19–26"); the first cell when
    nothing does."""
    cells = [row_cells(r) for r in rows]
    width = min(len(c) for c in cells)
    columns = next((n for n in range(1, width + 1) if len({tuple(c[:n]) for c in cells}) == len(cells)), 1)
    return [" ".join(c[:columns]) for c in cells]


def table_scope(asked: Collection[str], keys: Sequence[frozenset[str]], rows: range) -> float:
    """-1 for rows the question does not ask about, +1 for a whole table it asks about as a whole,
    0 otherwise (the rows it names; a table of one row; a span of asked and other rows).

    `keys`: the distinctive terms of each row's key (without the words of the table's header and
    headings, which every row shares); `asked`: the question's terms. The question asks about the
    rows whose keys it names, or, naming none, about the whole table. A named row gets no bonus
    over prose: naming "whole wheat flour" may ask how much of it a recipe takes, not the row of
    a flour table."""
    if len(keys) < 2:
        return 0.0
    named = {i for i, key in enumerate(keys) if not key.isdisjoint(asked)}
    held = set(rows)
    if not named:
        return 1.0 if held == set(range(len(keys))) else -1.0
    return -1.0 if held.isdisjoint(named) else 0.0
