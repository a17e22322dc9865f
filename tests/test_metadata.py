from service.qa.metadata import author_name, author_topic, mentions


def test_author_questions_yield_the_topic_they_ask_about() -> None:
    assert author_topic("who wrote the article on remote work?") == "remote work"
    assert author_topic("Who is the author of the post about budgets") == "budgets"
    assert author_topic("author of the onboarding guide") == "onboarding guide"
    assert author_topic("who approves remote work?") is None
    assert author_topic("what did the author say about budgets?") is None


def test_author_comes_from_the_catalog_else_a_byline() -> None:
    text = "Budgets 101\nBy Jane Q Doe\n\nBudgets matter."
    assert author_name(text, "Ann Lee") == "Ann Lee"
    assert author_name(text, None) == "Jane Q Doe"
    assert author_name("Budgets matter. By now you know.", None) is None


def test_mentions_are_whole_word_spans() -> None:
    text = "Jane Doe wrote it. Jane  Doe again; Jane Doesburg not."
    spans = mentions(text, "Jane Doe")
    assert [text[s:e] for s, e in spans] == ["Jane Doe", "Jane  Doe"]
