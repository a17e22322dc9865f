"""Each stage of the query path on a tiny inline knowledge base, with the deterministic hashing
embedder (the model is beside the point here; tests/test_api.py runs the real one)."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.build import build_index
from indexer.store import IndexData, read_index
from service.qa.abstention import SIGNAL_NAMES, AbstentionModel
from service.qa.display import render
from service.qa.features import FEATURE_NAMES
from service.qa.knowledge import KnowledgeBase
from service.qa.lexical import LexicalIndex
from service.qa.pipeline import NO_CONTENT_WORDS, QAPipeline
from service.qa.query import AnalyzedQuery
from service.qa.retrieval import FusionWeights, HybridRetriever, Retrieved
from service.qa.selection import candidate_pool, choose
from service.qa.signals import abstention_signals
from tests.fakes import HashingEmbedder

KITCHEN = """Kitchen Rules

Cleaning the Kettle
Descale the kettle every month with citric acid. Rinse it twice before use.

Dishwasher
The dishwasher runs every evening at six. Load cups on the top rack.
"""
PARKING = """Parking Guide

Spaces
There are twenty parking spaces behind the office. Visitors park at the front.

Permits
Permits are issued by the facilities team. They last one year.
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> IndexData:
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "kitchen.txt").write_text(KITCHEN, encoding="utf-8")
    (corpus / "parking.txt").write_text(PARKING, encoding="utf-8")
    out = corpus.parent / "index"
    build_index(corpus, out, HashingEmbedder())
    return read_index(out)


@pytest.fixture(scope="module")
def pipeline(data: IndexData) -> QAPipeline:
    # Every signal weighs nothing: confidence 0.5, answered at a threshold of 0.5.
    return QAPipeline(data, HashingEmbedder(), AbstentionModel(dict.fromkeys(SIGNAL_NAMES, 0.0)))


def _stages(
    pipeline: QAPipeline, question: str
) -> tuple[KnowledgeBase, LexicalIndex, AnalyzedQuery, Retrieved]:
    kb, lexical = pipeline.kb, LexicalIndex(pipeline.kb.data.bm25)
    query = kb.analyzer.analyze(question)
    retriever = HybridRetriever(kb.data, lexical, FusionWeights(), depth=10)
    retrieved = retriever.retrieve(query, pipeline.embedder.embed([query.repaired])[0])
    return kb, lexical, query, retrieved


def test_analysis_repairs_typos_and_finds_terms(pipeline: QAPipeline) -> None:
    query = pipeline.kb.analyzer.analyze("how often do I descale the ketle?")
    assert query.repaired == "how often do I descale the kettle?"
    assert {"descal", "kettl"} <= set(query.terms)
    assert query.compared is None


def test_retrieval_ranks_the_passage_that_says_it_first(pipeline: QAPipeline) -> None:
    kb, _, _, retrieved = _stages(pipeline, "how many parking spaces are there")
    ranked = retrieved.ranked
    assert kb.chunks[int(ranked.rows[0])].section == ("Spaces",)
    assert list(ranked.fused) == sorted(ranked.fused, reverse=True)
    assert retrieved.span_similarities.shape == (len(kb.candidates),)
    assert retrieved.rankings_agree


def test_the_pool_holds_the_top_passages_spans_with_every_feature(pipeline: QAPipeline) -> None:
    kb, lexical, query, retrieved = _stages(pipeline, "how many parking spaces are there")
    pool = candidate_pool(kb, lexical, query, retrieved, passages=1)
    top = int(retrieved.ranked.rows[0])
    assert pool.rows and all(kb.candidates[r].chunk_id == top for r in pool.rows)
    assert set(pool.features) == set(FEATURE_NAMES)
    assert all(len(values) == len(pool.rows) for values in pool.features.values())
    best = choose(kb, pool, pipeline.tuning.answer)
    assert kb.span_text(pool.candidates[best]).startswith("There are twenty parking spaces")


def test_signals_read_the_chosen_span(pipeline: QAPipeline) -> None:
    kb, lexical, query, retrieved = _stages(pipeline, "how many parking spaces are there")
    pool = candidate_pool(kb, lexical, query, retrieved, passages=2)
    best = choose(kb, pool, pipeline.tuning.answer)
    signals = abstention_signals(kb, lexical, query, retrieved, pool, best, without={})
    assert signals.corpus_coverage == 1.0  # every question word is in the corpus
    assert signals.type_mismatch == 0.0  # "twenty" answers "how many"
    assert signals.span_similarity == pool.feature("similarity", best)


def test_an_answer_is_a_verbatim_span_of_its_first_passage(pipeline: QAPipeline) -> None:
    answer = pipeline.ask("when does the dishwasher run", top_k=2)
    assert answer.text is not None and answer.span is not None
    first = answer.passages[0]
    doc = pipeline.kb.document(first.doc_id)
    assert doc.text[answer.span[0] : answer.span[1]] == answer.text
    assert first.start <= answer.span[0] < answer.span[1] <= first.end
    assert "six" in answer.text and len(answer.passages) == 2


def test_a_question_of_stopwords_is_declined_with_the_reason(pipeline: QAPipeline) -> None:
    answer = pipeline.ask("what is it and how?", top_k=3)
    assert answer.text is None and answer.confidence == 0.0 and answer.reason == NO_CONTENT_WORDS


def test_search_returns_passages_best_first(pipeline: QAPipeline) -> None:
    passages = pipeline.search("permits facilities", k=3)
    assert passages[0].section == ("Permits",)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_a_passage_is_shown_as_rendered_once(data: IndexData) -> None:
    """Search results read the cached rendering: what `render` gives with nothing marked."""
    kb = KnowledgeBase(data)
    for chunk in kb.chunks:
        doc = kb.documents[chunk.doc_id]
        shown = kb.shown(chunk.chunk_id)
        assert shown == render(doc.text, chunk.start, chunk.end, kb.tables(doc.doc_id))
        assert kb.shown(chunk.chunk_id) is shown


def test_knowledge_base_groups_candidates_by_passage(data: IndexData) -> None:
    kb = KnowledgeBase(data)
    for chunk in kb.chunks:
        rows = kb.rows_of(chunk.chunk_id)
        assert all(kb.candidates[r].chunk_id == chunk.chunk_id for r in rows)
        assert rows == sorted(rows)
    assert np.asarray(data.candidate_vectors).shape[0] == sum(len(kb.rows_of(c.chunk_id)) for c in kb.chunks)
