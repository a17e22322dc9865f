from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.chunking import ChunkingParams, candidates_for, chunk_document
from indexer.cleaning import clean_lines
from indexer.models import Chunk
from indexer.structure import parse_blocks
from indexer.text import word_count

TEXT = """Guide Title

Setup
Install the tool first. Then configure it carefully. Finally run the checks.

Options
The options are:
- Fast mode for quick runs
- Safe mode for production
"""


def chunks(text: str, max_words: int = 110) -> list[Chunk]:
    blocks = parse_blocks(text, clean_lines(text), "Guide Title")
    return chunk_document("doc", text, blocks, ChunkingParams(max_words=max_words))


def test_chunks_stay_inside_sections_and_carry_their_path() -> None:
    result = chunks(TEXT)
    assert [c.section for c in result] == [("Setup",), ("Options",)]
    assert [c.context for c in result] == ["Setup", "Options"]
    assert TEXT[result[1].start : result[1].end].startswith("The options are:")


def test_long_sections_split_between_sentences() -> None:
    result = chunks(TEXT, max_words=8)
    setup = [c for c in result if c.section == ("Setup",)]
    assert len(setup) == 2
    for c in setup:
        assert word_count(TEXT[c.start : c.end]) <= 8
        assert TEXT[c.end - 1] == "."


def test_candidates_skip_lead_ins_and_include_the_whole_list() -> None:
    options = chunks(TEXT)[1]
    spans = [TEXT[c.start : c.end] for c in candidates_for(options, TEXT, ChunkingParams())]
    assert "The options are:" not in spans
    assert "Fast mode for quick runs" in spans
    assert any(s.startswith("Fast mode") and s.endswith("Safe mode for production") for s in spans)


def test_sentence_windows_stay_in_one_paragraph() -> None:
    setup = chunks(TEXT)[0]
    spans = [TEXT[c.start : c.end] for c in candidates_for(setup, TEXT, ChunkingParams(max_window=2))]
    assert spans == [
        "Install the tool first.",
        "Install the tool first. Then configure it carefully.",
        "Then configure it carefully.",
        "Then configure it carefully. Finally run the checks.",
        "Finally run the checks.",
    ]


# Line breaks after function words and commas, CRLF and table rows exercise the joining of
# hard-wrapped lines: a joined line's offsets must map back to the source like any other.
words = st.sampled_from(
    [
        "Alpha",
        "beta",
        "gamma.",
        "Delta?",
        "- item",
        "Heading",
        "\n",
        "\n\n",
        "x:",
        "for",
        "is",
        "and,",
        "\r\n",
        "| a |",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=1, max_size=80), st.integers(min_value=3, max_value=40))
def test_every_chunk_and_candidate_maps_back_to_the_source(parts: list[str], max_words: int) -> None:
    text = " ".join(parts)
    for chunk in chunks(text, max_words):
        assert 0 <= chunk.start < chunk.end <= len(text)
        for unit in chunk.units:
            assert chunk.start <= unit.start < unit.end <= chunk.end
            assert text[unit.start : unit.end].strip() == text[unit.start : unit.end]
        for cand in candidates_for(chunk, text, ChunkingParams()):
            assert chunk.start <= cand.start < cand.end <= chunk.end


def test_clauses_of_long_sentences_only() -> None:
    from indexer.chunking import clauses

    short = "The CRO leads revenue, and the COO leads operations."
    assert clauses(short, 0, len(short)) == []
    long = (
        "As progressive companies realize that it is more effective to focus on the customer experience, "
        "relationship, satisfaction and loyalty that drives revenues than on the numbers themselves, "
        "Chief Revenue Officers will inevitably become Chief Customer Officers."
    )
    pieces = [long[s:e] for s, e in clauses(long, 0, len(long))]
    assert pieces[-1] == "Chief Revenue Officers will inevitably become Chief Customer Officers."
    assert "relationship" in pieces[0]  # the short piece joined the clause before it
    assert all(len(p.split()) >= 5 for p in pieces)


def test_windows_never_include_questions_or_talk_about_the_text() -> None:
    text = "Intro\nThe CSO sells. In this section we explore roles. Is it clear? The CRO grows revenue.\n"
    blocks = parse_blocks(text, clean_lines(text), None)
    chunk = chunk_document("doc", text, blocks, ChunkingParams())[0]
    spans = [text[c.start : c.end] for c in candidates_for(chunk, text, ChunkingParams())]
    assert spans == ["The CSO sells.", "The CRO grows revenue."]


def test_a_list_item_with_a_lead_in_also_matches_on_its_own(tmp_path: Path) -> None:
    from indexer.build import clause_spans, prepare
    from indexer.chunking import ChunkingParams

    text = (
        "Drop-off Centre\n\nThe centre at 40 Quarry Road accepts the following items free of charge:\n"
        "- Electronics, including TVs and computers\n- Car batteries and motor oil\n"
    )
    (tmp_path / "guide.txt").write_text(text, encoding="utf-8")
    prepared = prepare(tmp_path, ChunkingParams())
    doc = prepared.documents[0].text
    alone = {doc[s:e] for _, s, e in clause_spans(prepared)}
    assert alone == {"Electronics, including TVs and computers", "Car batteries and motor oil"}
