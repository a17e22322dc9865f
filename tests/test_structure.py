from indexer.cleaning import clean_lines
from indexer.models import Block, BlockKind, UnitKind
from indexer.structure import parse_blocks

ARTICLE = """My Article Title

Intro paragraph with two sentences. It sets the scene.

Key Skills

To succeed you need:

  • Strong leadership
  • Clear communication

Comparison

The two roles differ as follows:
Aspect Alpha Beta
Scope Whole company Sales only
Focus Strategy Execution

Frequently Asked Questions
Who leads the team?
The director leads the team. She reports to the board.
What is the budget?
The budget is set yearly.
"""


def blocks() -> list[Block]:
    return parse_blocks(ARTICLE, clean_lines(ARTICLE), "My Article Title")


def test_title_is_not_content_and_intro_has_no_heading() -> None:
    first = blocks()[0]
    assert first.kind is BlockKind.PARAGRAPH
    assert first.heading_path == ()
    assert [ARTICLE[u.start : u.end] for u in first.units] == [
        "Intro paragraph with two sentences.",
        "It sets the scene.",
    ]


def test_list_with_lead_in() -> None:
    lst = next(b for b in blocks() if b.kind is BlockKind.LIST)
    assert lst.heading_path == ("Key Skills",)
    assert [ARTICLE[u.start : u.end] for u in lst.units] == ["Strong leadership", "Clear communication"]
    assert all(u.kind is UnitKind.ITEM for u in lst.units)
    assert lst.lead_in is not None and ARTICLE[lst.lead_in.start : lst.lead_in.end] == "To succeed you need:"


def test_flattened_table_rows_lead_in_with_the_header_row() -> None:
    table = next(b for b in blocks() if b.kind is BlockKind.TABLE)
    assert table.heading_path == ("Comparison",)
    assert [ARTICLE[u.start : u.end] for u in table.units] == [
        "Scope Whole company Sales only",
        "Focus Strategy Execution",
    ]
    assert table.lead_in is not None
    assert ARTICLE[table.lead_in.start : table.lead_in.end] == "Aspect Alpha Beta"


def test_markdown_table_header_bold_faq_questions_and_bylines() -> None:
    md = (
        "# Plant Care\n\nBy Jane Doe\n\nPublished March 14, 2023\n\nWater them weekly.\n\n"
        "## Quick Reference\n\n| Plant | Pet safe? |\n|---|---|\n| Pothos | No |\n| Spider plant | Yes |\n\n"
        "## FAQ\n\n**Do I need to mist my plants?**\nRarely. Misting raises humidity for minutes only.\n"
    )
    got = parse_blocks(md, clean_lines(md), None)
    table = next(b for b in got if b.kind is BlockKind.TABLE)
    assert [md[u.start : u.end] for u in table.units] == ["| Pothos | No |", "| Spider plant | Yes |"]
    assert (
        table.lead_in is not None and md[table.lead_in.start : table.lead_in.end] == "| Plant | Pet safe? |"
    )
    assert [b.heading_path for b in got if b.kind is BlockKind.HEADING] == [("Quick Reference",), ("FAQ",)]
    faq = next(b for b in got if b.kind is BlockKind.QUESTION)
    assert faq.heading_path == ("FAQ", "Do I need to mist my plants?")


def test_faq_questions_nest_under_their_heading() -> None:
    answers = [b for b in blocks() if b.kind is BlockKind.PARAGRAPH and len(b.heading_path) == 2]
    assert [b.heading_path for b in answers] == [
        ("Frequently Asked Questions", "Who leads the team?"),
        ("Frequently Asked Questions", "What is the budget?"),
    ]


def test_markdown_headings_have_levels() -> None:
    md = "# Guide\n\n## Setup\n\nInstall it first.\n\n### Linux\n\nUse the package.\n\n## Usage\n\nRun it.\n"
    paths = [b.heading_path for b in parse_blocks(md, clean_lines(md), None) if b.kind is BlockKind.PARAGRAPH]
    assert paths == [("Setup",), ("Setup", "Linux"), ("Usage",)]


def test_a_site_name_above_the_title_heads_nothing() -> None:
    text = "HISTORY SNACKS\n\nThe Hanseatic League\n\nFor three centuries merchants ruled the Baltic trade.\n"
    paragraph = next(b for b in parse_blocks(text, clean_lines(text), "The Hanseatic League") if b.units)
    assert paragraph.heading_path == ()


def test_numbered_and_colon_headings_but_numbered_lists_stay_lists() -> None:
    text = (
        "Leave Policy\n\n1. Purpose and Scope\n\nThis policy covers all staff.\n\n"
        "2. Eligibility\n\nYou qualify after 26 weeks.\n\nGeography:\n\nThe reef lies off Queensland.\n\n"
        "The path involves:\n\n  1. Starting in entry-level sales\n\n  2. Moving into management\n"
    )
    got = parse_blocks(text, clean_lines(text), "Leave Policy")
    assert [b.heading_path for b in got if b.kind is BlockKind.HEADING] == [
        ("1. Purpose and Scope",),
        ("2. Eligibility",),
        ("Geography",),
    ]
    items = [text[u.start : u.end] for b in got if b.kind is BlockKind.LIST for u in b.units]
    assert items == ["Starting in entry-level sales", "Moving into management"]


def test_section_numbers_nest_plain_text_headings() -> None:
    text = (
        "Leave Policy\n\nPrepared by: Ana Ruiz, Head of People\n\n2. Eligibility\n\nRead on.\n\n"
        "2.1 Who qualifies\n\nAll staff after 26 weeks.\n\n2.2 Evidence\n\nA certificate.\n\n"
        "3. Pay\n\nFull pay for 18 weeks.\n"
    )
    got = parse_blocks(text, clean_lines(text), "Leave Policy")
    assert [b.heading_path for b in got if b.kind is BlockKind.HEADING] == [
        ("2. Eligibility",),
        ("2. Eligibility", "2.1 Who qualifies"),
        ("2. Eligibility", "2.2 Evidence"),
        ("3. Pay",),
    ]
    assert next(b.heading_path for b in got if text[b.start : b.end].startswith("Full pay")) == ("3. Pay",)
