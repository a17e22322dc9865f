from hypothesis import given
from hypothesis import strategies as st

from indexer.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_splits_on_terminal_punctuation() -> None:
    assert texts("One sentence here. Another one! A third? Yes.") == [
        "One sentence here.",
        "Another one!",
        "A third?",
        "Yes.",
    ]


def test_abbreviations_and_initials_do_not_split() -> None:
    assert texts("Tools, e.g. CRM systems, help. Ask J. Smith vs. others.") == [
        "Tools, e.g. CRM systems, help.",
        "Ask J. Smith vs. others.",
    ]


def test_footnote_markers_stay_with_their_sentence() -> None:
    assert texts("It lies off Queensland.[1] It covers 344,400 km2.[2][3] See [4] too.") == [
        "It lies off Queensland.[1]",
        "It covers 344,400 km2.[2][3]",
        "See [4] too.",
    ]


def test_lowercase_after_period_does_not_split() -> None:
    assert texts("Version 2.5 is out. see notes.") == ["Version 2.5 is out. see notes."]


@given(st.text(alphabet=st.sampled_from(list("ab .!?\nXY1\"'")), max_size=80))
def test_spans_are_ordered_trimmed_and_inside_the_text(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        piece = text[span.start : span.end]
        assert piece == piece.strip() and piece
        previous_end = span.end
    # Nothing but whitespace is lost between sentences.
    covered = "".join(text[s.start : s.end] for s in spans)
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
