"""How answers and excerpts are shown (service/qa/display.py): hand-checked renderings of tiny
documents, and the mapping of a verbatim range onto the displayed text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.qa.display import Table, cells, document_blocks, inline, plain, render, section_label, tables_of

DOC = """# Parking

| Zone | Spaces | Who |
|---|---|---|
| A | 20 | **Visitors** |
| B | 35 | Staff |

Q: How do I book a desk?
A: Use the [booking tool](https://x.example/desk) before *noon*.

- Bring your badge &amp; laptop.
- Sign in at reception.
"""


def _tables() -> list[Table]:
    return tables_of(DOC, document_blocks(DOC, "Parking"))


def _span(first: str, last: str) -> tuple[int, int]:
    start = DOC.index(first)
    end = DOC.index(last, start) + len(last)
    return start, end


def test_the_header_row_of_a_markdown_table_is_found() -> None:
    (table,) = _tables()
    assert table.columns == ("Zone", "Spaces", "Who")
    assert DOC[table.header_start : table.header_end] == "| Zone | Spaces | Who |"
    assert DOC[table.start : table.end] == "| A | 20 | **Visitors** |\n| B | 35 | Staff |"


def test_a_table_row_is_shown_as_column_value_pairs() -> None:
    start, end = _span("| B", "Staff |")
    shown = render(DOC, start, end, _tables())
    assert shown.text == "Zone: B; Spaces: 35; Who: Staff"
    assert shown.rows == ((("Zone", "B"), ("Spaces", "35"), ("Who", "Staff")),)


def test_emphasis_inside_a_cell_is_dropped() -> None:
    start, end = _span("| A", "Visitors** |")
    assert render(DOC, start, end, _tables()).text == "Zone: A; Spaces: 20; Who: Visitors"


def test_a_row_without_a_known_header_shows_its_cells() -> None:
    text = "| x | 1 |\n| y | 2 |"
    assert render(text, 0, len(text)).text == "x \u00b7 1\ny \u00b7 2"
    assert render(text, 0, len(text)).rows == ()


def test_faq_prefixes_and_link_syntax_are_dropped() -> None:
    start, end = _span("Q: How", "*noon*.")
    assert render(DOC, start, end).text == "How do I book a desk?\nUse the booking tool before noon."


def test_bullets_go_and_character_references_are_decoded() -> None:
    start, end = _span("- Bring", "reception.")
    assert render(DOC, start, end).text == "Bring your badge & laptop.\nSign in at reception."


def test_the_whole_document_reads_cleanly() -> None:
    assert render(DOC, 0, len(DOC), _tables()).text == (
        "Parking\nZone: A; Spaces: 20; Who: Visitors\nZone: B; Spaces: 35; Who: Staff\n"
        "How do I book a desk?\nUse the booking tool before noon.\n"
        "Bring your badge & laptop.\nSign in at reception."
    )


def test_wrapped_prose_is_joined_with_a_space_and_paragraphs_keep_their_break() -> None:
    text = "The desk is open\nfrom nine to five.\n\nClosed on Sundays."
    assert render(text, 0, len(text)).text == "The desk is open from nine to five.\nClosed on Sundays."


def test_the_answer_inside_its_excerpt_is_located_in_the_displayed_text() -> None:
    start, end = _span("| A", "Staff |")
    mark = _span("| B", "Staff |")
    shown = render(DOC, start, end, _tables(), mark=mark)
    assert shown.highlight is not None
    hs, he = shown.highlight
    assert shown.text[hs:he] == "Zone: B; Spaces: 35; Who: Staff"


def test_a_marked_sentence_after_a_prefix() -> None:
    start, end = _span("Q: How", "*noon*.")
    shown = render(DOC, start, end, mark=_span("A: Use", "*noon*."))
    assert shown.highlight is not None
    hs, he = shown.highlight
    assert shown.text[hs:he] == "Use the booking tool before noon."


def test_a_mark_inside_a_word_maps_character_for_character() -> None:
    text = "Parking costs 5 euros a day."
    shown = render(text, 0, len(text), mark=(14, 21))
    assert shown.highlight == (14, 21) and shown.text[14:21] == "5 euros"


def test_inline_pieces_keep_their_source_offsets() -> None:
    text = "See **the guide** now"
    pieces = inline(text, 0, len(text))
    assert [p.text for p in pieces] == ["See ", "the guide", " now"]
    assert [text[p.start : p.end] for p in pieces] == ["See ", "the guide", " now"]


def test_cells_and_plain() -> None:
    row = "|  a | **b**  |"
    assert [row[s:e] for s, e in cells(row, 0, len(row))] == ["a", "**b**"]
    assert plain(row, 7, 12) == "b"


def test_snake_case_and_arithmetic_are_not_emphasis() -> None:
    text = "Set max_in_flight to 2*3*4 in config_file."
    assert render(text, 0, len(text)).text == text


_WORDS = st.lists(
    st.sampled_from(["alpha", "beta", "**gamma**", "A:", "-", "|", "&amp;", "\n", "x_y"]), max_size=30
)


@given(_WORDS, st.integers(0, 200), st.integers(0, 200))
def test_any_mark_lands_inside_the_displayed_text(words: list[str], a: int, b: int) -> None:
    text = " ".join(words)
    s, e = sorted((min(a, len(text)), min(b, len(text))))
    shown = render(text, 0, len(text), mark=(s, e))
    if shown.highlight is not None:
        hs, he = shown.highlight
        assert 0 <= hs < he <= len(shown.text)


@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta."]), min_size=1, max_size=20))
def test_plain_prose_is_shown_as_written(words: list[str]) -> None:
    text = " ".join(words)
    shown = render(text, 0, len(text), mark=(0, len(text)))
    assert shown.text == text and shown.highlight == (0, len(text))


def test_section_labels_drop_question_markers() -> None:
    assert section_label(["Frequently asked questions", "Q: Can I park here?"]) == (
        "Frequently asked questions > Can I park here?"
    )
    assert section_label(["## Parking", "Q. Where?"]) == "Parking > Where?"
    assert section_label([]) == ""
