"""Query analysis (service/qa/query.py) and lexical matching (service/qa/lexical.py) on tiny
inline corpora, with hand-checked expectations."""

import math
from collections.abc import Sequence

import bm25s
import pytest

from indexer.analysis import TermAnalyzer, find_acronyms
from service.qa.lexical import LexicalIndex
from service.qa.query import QueryAnalyzer


def _analyzer(texts: Sequence[str]) -> QueryAnalyzer:
    return QueryAnalyzer(TermAnalyzer.from_texts(texts))


def _lexical(analyzer: QueryAnalyzer, texts: Sequence[str]) -> LexicalIndex:
    bm25 = bm25s.BM25()
    bm25.index([analyzer.terms.doc_terms(t) for t in texts], show_progress=False)
    return LexicalIndex(bm25)


def test_acronyms_both_orders_and_initials_must_match() -> None:
    texts = [
        "The Chief Revenue Officer (CRO) leads.",
        "The CMO (Chief Marketing Officer) too.",
        "Big News (XYZ).",
    ]
    assert find_acronyms(texts) == {"cro": "chief revenue officer", "cmo": "chief marketing officer"}


def test_an_acronym_defined_as_two_names_keeps_them_apart_but_spelling_variants_are_one() -> None:
    texts = [
        "A Chief Customer Officer (CCO) owns the journey.",
        "A Chief Commercial Officer (CCO) owns sales.",
        "Chief Operating Officers (COO), the Chief Operating Officer (COO), a Chief Operating Officer (COO).",
    ]
    assert find_acronyms(texts) == {
        "chief_customer_officer": "chief customer officer",
        "chief_commercial_officer": "chief commercial officer",
        "coo": "chief operating officer",
    }
    analyzer = _analyzer(texts)
    asked = analyzer.coverage_terms("what does a chief customer officer do")
    assert set(asked) & set(analyzer.terms.doc_terms(texts[0]))
    assert not set(asked) & set(analyzer.terms.doc_terms(texts[1]))


def test_acronym_plurals_fold_to_the_acronym() -> None:
    analyzer = _analyzer(["Chief Revenue Officers (CROs) lead. The CRO decides."])
    assert analyzer.query_words("what do CROs do") == ["cro"]
    assert "cro" in analyzer.terms.doc_terms("Many CROs report to the CEO.")


def test_rewrite_repairs_typos_and_keeps_the_rest_as_typed() -> None:
    analyzer = _analyzer(["Forecasting revenue is hard."])
    assert analyzer.rewrite("Who does forcasting for CROs?") == "Who does forecasting for CROs?"


def test_typos_are_repaired_against_the_corpus_vocabulary() -> None:
    analyzer = _analyzer(["Challenges of forecasting and responsibilities of leaders."])
    assert analyzer.query_words("challanges in forcasting") == ["challenges", "forecasting"]
    assert analyzer.repair("zebra") == "zebra"  # nothing close: left alone
    assert _analyzer(["Put the bins out in time."]).repair("tiem") == "time"  # swapped letters
    two = _analyzer(["It comes with the charger and two packs."])
    assert two.query_words("charger in hte box") == ["charger", "box"]
    assert two.repair("tow") == "tow"  # a three-letter word is only taken for a function word


def test_words_that_say_what_is_asked_are_never_repaired() -> None:
    reef = _analyzer(["The reef lies off the coast. Differences between reefs are large."])
    assert reef.rewrite("How much does a day trip cost?") == "How much does a day trip cost?"
    assert reef.rewrite("diffrence between atolls and reefs") == "differences between atolls and reefs"


def test_query_terms_expand_acronyms() -> None:
    analyzer = _analyzer(["The Chief Operating Officer (COO) runs operations."])
    assert analyzer.query_terms("who outranks the COO?")[:2] == ["outrank", "coo"]
    assert {"chief", "oper", "offic"} <= set(analyzer.query_terms("COO"))
    assert "coo" in analyzer.query_terms("what does the chief operating officer do")


def test_bm25_prefers_the_matching_text_and_coverage_weights_rare_terms() -> None:
    texts = ["budget planning for teams", "forecasting revenue for teams", "teams and people"]
    analyzer = _analyzer(texts)
    index = _lexical(analyzer, texts)
    scores = index.scores(analyzer.query_terms("revenue forecasting"))
    assert scores.argmax() == 1
    terms = analyzer.query_terms("teams forecasting")
    # "teams" is everywhere (low idf), "forecast" is rare: covering only "teams" is a small share.
    assert index.coverage(terms, {"team"}) < 0.3 < index.coverage(terms, {"forecast"})


def test_contractions_are_no_content_words_and_stay_as_typed() -> None:
    analyzer = _analyzer(["The CRO reports to the CEO. Does it? Documents were signed."])
    assert analyzer.query_words("why doesn't the CRO report to the CEO") == ["cro", "report", "ceo"]
    assert analyzer.query_words("dont CROs report to the CEO, isn't it so") == ["cro", "report", "ceo"]
    assert analyzer.rewrite("why doesn't the CRO report?") == "why doesn't the CRO report?"


def test_rewrite_leaves_other_forms_of_corpus_words_and_typed_acronyms_alone() -> None:
    # "executes" is no typo of "executives" (same stem), and "CROs" is no typo of "cross".
    analyzer = _analyzer(["Executives cross the line. The CRO decides."])
    assert analyzer.repair("executes") == "executes"
    typed = "what do CROs do when the CEO executes"
    assert analyzer.rewrite(typed) == typed
    assert analyzer.rewrite("what do cros do") == "what do cross do"  # lower case: a plausible typo


def test_accents_fold_so_plain_spellings_match() -> None:
    analyzer = _analyzer(["The town of Lübeck was refounded in 1159."])
    assert analyzer.query_words("when was lubeck founded") == ["lubeck", "founded"]
    assert "lubeck" in analyzer.terms.doc_terms("Lübeck")
    assert analyzer.rewrite("when was Lübeck refounded") == "when was Lübeck refounded"


def test_the_two_sides_of_a_comparison() -> None:
    analyzer = _analyzer(["The Chief Revenue Officer (CRO) and the Chief Operating Officer (COO)."])
    assert analyzer.compared("CRO vs COO") == ({"cro"}, {"coo"})
    assert analyzer.compared("difference between a chief revenue officer and the COO?") == ({"cro"}, {"coo"})
    assert analyzer.compared("what does a CRO do") is None
    assert analyzer.compared("what is said about pay and perks of a CRO vs a COO today") == (
        {"perk", "cro"},
        {"coo", "today"},
    )


def test_html_entities_left_in_a_page_are_read_as_text() -> None:
    analyzer = _analyzer(["It earns AUD&nbsp;6.4 billion for Smith &amp; Sons."])
    assert analyzer.terms.doc_terms("AUD&nbsp;6.4 billion") == analyzer.terms.doc_terms("AUD 6.4 billion")
    assert "nbsp" not in analyzer.vocabulary and "amp" not in analyzer.vocabulary


def test_without_leaves_out_the_words_of_one_term_and_keeps_the_rest_as_typed() -> None:
    analyzer = _analyzer(["The office closes on public holidays."])
    question = "Is the office shut on bank holidays?"
    assert analyzer.without(question, "bank") == "Is the office shut on holidays?"
    # Every form that stems to the term goes; stopwords are never a term.
    assert analyzer.without("Banks and banking: which bank?", "bank") == "and : which ?"
    assert analyzer.without("Is the office open?", "the") is None
    assert analyzer.without("Is the office open?", "pension") is None


def test_idf_is_read_off_the_bm25_matrix_as_lucene_defines_it() -> None:
    texts = ["budget planning", "budget review", "team offsite"]
    index = _lexical(_analyzer(texts), texts)
    # "budget" is in 2 of 3 passages: ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6)
    assert index.idf("budget") == pytest.approx(math.log(1.6))
    assert index.idf("offsit") == pytest.approx(math.log(1 + 2.5 / 1.5))
    assert index.idf("absent") == index.max_idf and not index.known("absent")


def test_related_stems_by_hand() -> None:
    # stems in corpus order: technolog x2, technic x1, tech x1, histori x1
    analyzer = _analyzer(["technology technologies technical tech history"])
    # most frequent first, then in the stems' order; "tech" is a prefix of "techn"
    assert analyzer._related_stems("techn") == ["technolog", "technic", "tech"]
    assert analyzer._related_stems("historically") == ["histori"]  # a stem it extends
    assert analyzer._related_stems("tec") == []  # shorter than MIN_PREFIX


def test_indexed_look_ups_equal_the_vocabulary_scans_they_replaced() -> None:
    """The brute-force scans are the oracle, over every prefix and one-letter change of the
    corpus's own words and stems (ties in vocabulary order included)."""
    from service.qa.query import MAX_RELATED_STEMS, MIN_PREFIX

    texts = [
        "Forecasting forecasts forecasters revenue revenues reviews technology technical teams",
        "The team teams up; tea, teal and teak are timbers; histories and historians record history",
    ]
    analyzer = _analyzer(texts)
    stems = analyzer.terms.stems

    def related(stem: str) -> list[str]:
        if len(stem) < MIN_PREFIX:
            return []
        found = [t for t in stems if len(t) >= MIN_PREFIX and (t.startswith(stem) or stem.startswith(t))]
        return sorted(found, key=lambda t: -stems[t])[:MAX_RELATED_STEMS]

    probes = {w[:i] for w in [*analyzer.vocabulary, *stems] for i in range(MIN_PREFIX, len(w) + 2)}
    probes |= {w[:i] + "x" + w[i + 1 :] for w in analyzer.vocabulary for i in range(len(w))}
    for probe in sorted(probes):
        assert analyzer._related_stems(probe) == related(probe), probe
        choices = [v for v in analyzer.vocabulary if v[0] == probe[0]]
        assert analyzer._by_initial.get(probe[0], []) == choices
