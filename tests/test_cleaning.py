from indexer.cleaning import clean_lines


def kept(text: str) -> list[str]:
    return [line.text for line in clean_lines(text) if not line.is_noise]


def reasons(text: str) -> dict[str, str | None]:
    return {line.text: line.noise for line in clean_lines(text)}


def test_ui_chrome_is_noise() -> None:
    text = "Title Here\n\n0\n78\n\nShare on LinkedIn\n\nA real sentence about revenue teams.\n"
    assert kept(text) == ["Title Here", "A real sentence about revenue teams."]


def test_comment_form_and_the_policy_between_its_prompts() -> None:
    text = (
        "Body sentence one is here.\n\nADD YOUR COMMENT\n\n"
        "Please be civil and add value to the discussion.\n\n"
        "Please enter your comment!\nPlease enter your name here"
    )
    r = reasons(text)
    assert r["Body sentence one is here."] is None
    assert r["ADD YOUR COMMENT"] == "chrome:ui"
    assert r["Please be civil and add value to the discussion."] == "island"
    assert r["Please enter your name here"] == "chrome:ui"


def test_adjacent_duplicate_keeps_the_first() -> None:
    lines = clean_lines("My Title\n\nMy Title\n\nText of the article starts here.")
    assert [(line.text, line.noise) for line in lines] == [
        ("My Title", None),
        ("My Title", "repeat:adjacent"),
        ("Text of the article starts here.", None),
    ]


def test_repeated_block_is_dropped_everywhere_but_repeated_headings_stay() -> None:
    ad = "Get the app\nDownload it today.\n"
    text = (
        f"Details\nFirst paragraph.\n{ad}Second paragraph.\n"
        f"Details\nThird paragraph.\n{ad}Fourth paragraph.\n"
    )
    r = clean_lines(text)
    noise = [line.text for line in r if line.is_noise]
    assert noise == ["Get the app", "Download it today.", "Get the app", "Download it today."]
    assert [line.text for line in r if not line.is_noise].count("Details") == 2


def test_fragments_and_truncated_lines() -> None:
    r = reasons(
        "Heading\n\nemails\n\nphone numbers\n\nIn conclusion, the CRO and\n\nA full sentence ends here."
    )
    assert r["emails"] == "fragment"
    assert r["phone numbers"] == "fragment"
    assert r["In conclusion, the CRO and"] == "truncated"
    assert r["A full sentence ends here."] is None


def test_leading_date_is_split_off_and_offsets_stay_exact() -> None:
    text = "Title\nSep 03, 2024When you build a business you learn many things quickly."
    line = clean_lines(text)[1]
    assert line.text.startswith("When you build")
    assert text[line.start : line.end] == line.text


def test_offsets_point_into_the_original() -> None:
    text = "  Indented line here.\r\n\r\n\t- a bullet item\nlast line of text."
    for line in clean_lines(text):
        assert text[line.start : line.end] == line.text


def test_site_chrome_navigation_menus_cookies_related_posts_and_footer() -> None:
    text = (
        "Menu\nResidents\nBusiness\nServices\nSearch\n"
        "Home | Blog | Shop | Contact\n"
        "Guide to Sorting Your Household Waste\n"
        "Pin it | Share on Facebook | Share on X\n\n"
        "We use cookies to improve your experience. [Accept] [Settings]\n\n"
        "*Written by Jane Doe · Updated 9 September 2024 · 8 min read*\n\n"
        "Rinse every container before it goes in the blue bin.\n\n"
        "## Related posts\n\n- Composting at Home\n- Ten Tips for Less Waste\n\n"
        "Glass Bottles\n\nGlass bottles go in the blue bin.\n\n"
        "3 Comments\n\n## Leave a Reply\n\n"
        "Contact us | Accessibility | Privacy | Terms of use\n\u00a9 2024 Maplewood City Council\n"
    )
    assert kept(text) == [
        "Guide to Sorting Your Household Waste",
        "*Written by Jane Doe · Updated 9 September 2024 · 8 min read*",
        "Rinse every container before it goes in the blue bin.",
        "Glass Bottles",
        "Glass bottles go in the blue bin.",
    ]
    r = reasons(text)
    assert r["Home | Blog | Shop | Contact"] == "chrome:nav"
    assert r["Residents"] == "island"
    assert r["- Composting at Home"] == "chrome:related"


def test_a_long_sentence_line_printed_twice_is_a_promo() -> None:
    promo = "> **Get 20% off your first order!** Join 50,000 plant lovers and shop pots today."
    body = ["Water weekly in summer.", "Repot every two years in spring.", "Feed monthly from April."]
    text = f"{body[0]}\n\n{promo}\n\n{body[1]}\n\n{body[2]}\n\n{promo}\n"
    assert kept(text) == body


def test_reference_lists_breadcrumbs_and_page_furniture() -> None:
    text = (
        "Home \u203a Policies \u203a Leave\nPrint this page\n\n"
        "The reef is 2,300 km long.[1]\n\nSee also:\n\n- Coral reef\n- Ningaloo Reef\n\n"
        "References:\n\n[1] Hopley, D. (2007). The Geomorphology of the Reef. Cambridge.\n"
        "[2] Webster, J. M. (2018). Response of the reef. Nature 11: 426.\n\n"
        "Was this article helpful? Yes No\n[Back to top](#top)\n"
    )
    assert kept(text) == ["The reef is 2,300 km long.[1]"]


def test_a_table_row_of_figures_is_data_not_chrome() -> None:
    text = "Floor sizes\n\n| Floor | Desks |\n| --- | --- |\n| 2 | 40 |\n| 3 | 36 |\n\n12\n"
    r = reasons(text)
    assert r["| 2 | 40 |"] is None and r["| 3 | 36 |"] is None
    assert r["12"] == "chrome:no-letters"  # a bare number (a page number, a counter) stays noise
