"""The reading stage (service/qa/reading.py) and the answer model file, with a deterministic fake
reader: the cross-encoder itself is tested in tests/test_reranker.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.build import build_index
from indexer.embedding import Embedder
from indexer.store import IndexData, read_index
from service.errors import AbstentionModelError
from service.qa.abstention import READER_LOGIT_CLIP, SIGNAL_NAMES, AbstentionModel
from service.qa.answer_model import DEFAULT_ANSWER_MODEL_PATH, AnswerModel
from service.qa.features import DEFAULT_WEIGHTS, FEATURE_NAMES, READER_FEATURE
from service.qa.pipeline import QAPipeline
from service.qa.reading import candidate_texts, read, shortlist, spelled_out, units_read
from service.qa.selection import Pool
from service.qa.tuning import Tuning
from service.reranker import Reranker
from tests.fakes import HashingEmbedder

GUIDE = """Office Guide

Parking
There are twenty parking spaces behind the office. Visitors park at the front. Permits last one year.

Kettle
Descale the kettle every month. Rinse it twice before use.
"""


class WordReader:
    """Logit = `logit` (5) when the candidate holds `word`, else 0; records what it was asked."""

    def __init__(self, word: str, logit: float = 5.0) -> None:
        self.word, self.logit = word, logit
        self.identity = f"word-reader:{word}"
        self.asked: list[tuple[str, list[str]]] = []

    def logits(self, question: str, candidates: Sequence[str]) -> np.ndarray:
        self.asked.append((question, list(candidates)))
        return np.array([self.logit if self.word in c else 0.0 for c in candidates], dtype=np.float32)


def _pool(scores: list[float]) -> Pool:
    n = len(scores)
    features = {name: np.zeros(n) for name in FEATURE_NAMES}
    features["similarity"] = np.array(scores)
    return Pool(list(range(10, 10 + n)), [None] * n, features)  # type: ignore[list-item]  # rows only


def test_shortlist_keeps_the_best_by_hand_set_score_in_rank_order() -> None:
    pool = shortlist(_pool([0.1, 0.9, 0.5, 0.7]), DEFAULT_WEIGHTS, depth=2)
    assert pool.rows == [11, 13]  # 0.9 and 0.7, still in pool order
    assert pool.features["similarity"].tolist() == [0.9, 0.7]


def test_shortlist_of_a_small_pool_is_the_pool() -> None:
    pool = _pool([0.3, 0.2])
    assert shortlist(pool, DEFAULT_WEIGHTS, depth=5) is pool


def test_spelled_out_names_defined_acronyms_only() -> None:
    acronyms = {"cro": "chief revenue officer", "it": "it"}
    assert spelled_out(acronyms, "who do CROs report to?") == "who do CROs (chief revenue officer) report to?"
    assert spelled_out(acronyms, "is it open") == "is it open"  # a one-word "name" is no expansion


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> IndexData:
    corpus = tmp_path_factory.mktemp("reading-corpus")
    (corpus / "guide.txt").write_text(GUIDE, encoding="utf-8")
    out = tmp_path_factory.mktemp("reading") / "index"
    build_index(corpus, out, HashingEmbedder())
    return read_index(out)


def _pipeline(data: IndexData, reader: WordReader, weight: float) -> QAPipeline:
    weights = dict(DEFAULT_WEIGHTS) | {READER_FEATURE: weight}
    tuning = Tuning(answer=weights, reader_depth=3)
    return QAPipeline(
        data, HashingEmbedder(), AbstentionModel(dict.fromkeys(SIGNAL_NAMES, 0.0)), tuning, reader=reader
    )


def test_a_heavy_reader_weight_lets_the_reader_choose(data: IndexData) -> None:
    reader = WordReader("Permits")
    answer = _pipeline(data, reader, weight=10.0).ask("how many parking spaces are there", top_k=3)
    assert answer.text is not None and "Permits last one year" in answer.text
    question, texts = reader.asked[-1]
    assert question == "how many parking spaces are there"
    shortlisted_units = {u for c in reader_pool_units(data, "how many parking spaces are there") for u in c}
    assert len(texts) == len(shortlisted_units)  # reads the shortlist's sentences, each once
    assert all(t.startswith("Office Guide > ") for t in texts)  # title and section come first
    assert answer.selection.signals.reader_logit == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("word", "logit", "signal"), [("Permits", 20.0, READER_LOGIT_CLIP), ("", -20.0, -READER_LOGIT_CLIP)]
)
def test_the_abstention_signal_is_the_chosen_spans_clipped_logit(
    data: IndexData, word: str, logit: float, signal: float
) -> None:
    # "Permits": the reader makes its span the chosen one; "": every span gets the same logit.
    answer = _pipeline(data, WordReader(word, logit), weight=10.0).ask(
        "how many parking spaces are there", top_k=3
    )
    assert answer.text is not None
    assert answer.selection.signals.reader_logit == pytest.approx(signal)


def reader_pool_units(data: IndexData, question: str) -> list[tuple[tuple[int, int], ...]]:
    """The (chunk, unit) pairs of each shortlisted candidate of the question."""
    pipeline = _pipeline(data, WordReader("-"), weight=1.0)
    query = pipeline.kb.analyzer.analyze(question)
    retrieved = pipeline.retriever.retrieve(query, pipeline.embedder.embed([query.repaired])[0])
    pool = shortlist(pipeline.pool(query, retrieved), DEFAULT_WEIGHTS, pipeline.tuning.reader_depth)
    return [tuple((c.chunk_id, u) for u in range(c.first, c.last + 1)) for c in pool.candidates]


def test_a_window_is_read_sentence_by_sentence(data: IndexData) -> None:
    pipeline = QAPipeline(data, HashingEmbedder(), AbstentionModel(dict.fromkeys(SIGNAL_NAMES, 0.0)))
    query = pipeline.kb.analyzer.analyze("parking spaces visitors permits")
    retrieved = pipeline.retriever.retrieve(query, pipeline.embedder.embed([query.repaired])[0])
    pool = pipeline.pool(query, retrieved)
    window = next(i for i, c in enumerate(pool.candidates) if c.last > c.first)
    units, owned = units_read(pipeline.kb, pool)
    assert all(u.first == u.last for u in units)  # only single sentences are read
    assert len({(u.chunk_id, u.first) for u in units}) == len(units)  # each once
    cand = pool.candidates[window]
    assert [units[i].first for i in owned[window]] == list(range(cand.first, cand.last + 1))
    reader = WordReader("Permits")
    out = read(pipeline.kb, pool, query.repaired, reader)
    texts = reader.asked[-1][1]
    # the window's logit is its best sentence's: 5 when one of its sentences names permits
    assert out.features[READER_FEATURE][window] == max(
        5.0 if "Permits" in texts[i] else 0.0 for i in owned[window]
    )


def test_a_zero_reader_weight_leaves_the_hand_set_choice(data: IndexData) -> None:
    hand_set = QAPipeline(data, HashingEmbedder(), AbstentionModel(dict.fromkeys(SIGNAL_NAMES, 0.0)))
    expected = hand_set.ask("how many parking spaces are there", top_k=3).text
    read_but_ignored = _pipeline(data, WordReader("Permits"), weight=0.0)
    assert read_but_ignored.ask("how many parking spaces are there", top_k=3).text == expected


def test_read_adds_one_logit_per_candidate(data: IndexData) -> None:
    pipeline = QAPipeline(data, HashingEmbedder(), AbstentionModel(dict.fromkeys(SIGNAL_NAMES, 0.0)))
    query = pipeline.kb.analyzer.analyze("descale the kettle")
    retrieved = pipeline.retriever.retrieve(query, pipeline.embedder.embed([query.repaired])[0])
    pool = pipeline.pool(query, retrieved)
    texts = candidate_texts(pipeline.kb, pool.candidates)
    out = read(pipeline.kb, pool, query.repaired, WordReader("month"))
    assert out.rows == pool.rows
    assert out.features[READER_FEATURE].tolist() == [5.0 if "month" in t else 0.0 for t in texts]


def test_a_reader_needs_a_reader_tuning(data: IndexData) -> None:
    with pytest.raises(ValueError, match="reader"):
        QAPipeline(data, HashingEmbedder(), AbstentionModel.unfitted(), Tuning(), reader=WordReader("x"))
    with pytest.raises(ValueError, match="features"):
        Tuning(answer=dict(DEFAULT_WEIGHTS), reader_depth=3)  # no reranker weight


def test_the_shipped_answer_model_loads() -> None:
    model = AnswerModel.from_file(DEFAULT_ANSWER_MODEL_PATH)
    assert model.depth >= 1 and READER_FEATURE in model.weights
    assert 0.0 < model.abstention.threshold < 1.0


def test_an_answer_model_for_other_features_is_refused(tmp_path: Path) -> None:
    model = json.loads(DEFAULT_ANSWER_MODEL_PATH.read_text(encoding="utf-8"))
    del model["weights"][READER_FEATURE]
    path = tmp_path / "answer_model.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    with pytest.raises(AbstentionModelError, match="refit"):
        AnswerModel.from_file(path)


def test_the_bundled_reranker_serves_cited_answers(
    index_dir: Path, embedder: Embedder, reader: Reranker
) -> None:
    """KBQA_RERANKER=bundled over HTTP, with the real models and index: answers stay verbatim
    spans of their first citation, and an off-topic question is still declined."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.config import Settings

    settings = Settings(index_dir=index_dir, reranker="bundled")
    app = create_app(settings, embedder_factory=lambda _: embedder, reader_factory=lambda _: reader)
    with TestClient(app) as client:
        body = client.post("/ask", json={"question": "who outranks the COO?"}).json()
        assert body["answer"] is not None and "COO" in body["answer"]
        first = body["citations"][0]
        s, e = first["highlight"]
        assert first["excerpt"][s:e] == body["answer"]
        wifi = {"question": "what is the wifi password for the guest network?"}
        off_topic = client.post("/ask", json=wifi).json()
        assert off_topic["answer"] is None
