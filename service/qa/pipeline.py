"""The query path, stage by stage: query analysis -> embedding -> hybrid retrieval -> candidate
features and scoring -> extension -> abstention -> a domain `Answer`. `QAPipeline` holds the
loaded state and composes the stages; each stage lives in its own module and takes and returns
data, so a new one (a reranker, another vector store) plugs in at a boundary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.embedding import Embedder, ModelSignature
from indexer.store import IndexData, read_index
from service.qa.abstention import DEFAULT_MODEL_PATH, AbstentionModel
from service.qa.access import EVERYONE, Audience
from service.qa.display import render
from service.qa.features import DEFAULT_WEIGHTS
from service.qa.knowledge import KnowledgeBase
from service.qa.lexical import LexicalIndex
from service.qa.metadata import author_span, author_topic
from service.qa.query import AnalyzedQuery
from service.qa.reading import Reader, read, shortlist
from service.qa.results import Answer, Passage, Selection
from service.qa.retrieval import HybridRetriever, PassageSearch, Retrieved
from service.qa.selection import Pool, candidate_pool, choose
from service.qa.signals import abstention_signals
from service.qa.tuning import Tuning

# At most this many "question without word X" variants are embedded per question (one per word
# the corpus lacks, for `paraphrased_terms`): each costs a model call, and a question of made-up
# words would otherwise cost one per word.
MAX_ABLATIONS = 8
NO_CONTENT_WORDS = "The question has no content words to look up; ask about a topic."
# What a person reads when a question is declined: no internals (the figures are in the Answer).
NOT_COVERED = "The knowledge base does not cover this question. The closest passages are listed as related."


class QAPipeline:
    def __init__(
        self,
        data: IndexData,
        embedder: Embedder,
        abstention: AbstentionModel,
        tuning: Tuning | None = None,
        *,
        reader: Reader | None = None,
        search: PassageSearch | None = None,  # default: FAISS and bm25s over `data`
    ) -> None:
        """`reader`: a cross-encoder that reads the `tuning.reader_depth` best candidates (the
        tuning then weighs its logit; see `AnswerModel`)."""
        self.kb = KnowledgeBase(data)
        self.kb.check_model(ModelSignature.of(embedder))
        self.embedder = embedder
        self.abstention = abstention
        self.tuning = tuning or Tuning()
        if (reader is None) != (self.tuning.reader_depth == 0):
            raise ValueError(
                "a reader needs a tuning with reader_depth and reranker weight, and only it does"
            )
        self.reader = reader
        self.lexical = LexicalIndex(data.bm25)
        self.retriever = HybridRetriever(
            data, self.lexical, self.tuning.fusion, self.tuning.search_depth, search
        )

    @classmethod
    def load(
        cls,
        index_dir: Path,
        embedder: Embedder,
        abstention_path: Path | None = None,
        tuning: Tuning | None = None,
    ) -> QAPipeline:
        """An index from disk, with the fitted abstention model (default: the shipped one)."""
        model = AbstentionModel.from_file(abstention_path or DEFAULT_MODEL_PATH)
        return cls(read_index(index_dir), embedder, model, tuning)

    def search(self, query: str, k: int, audience: Audience = EVERYONE) -> list[Passage]:
        analyzed = self.kb.analyzer.analyze(query)
        vector = self.embedder.embed([analyzed.repaired])[0]
        retrieved = self.retriever.retrieve(analyzed, vector, self.kb.scope(audience))
        ranked = retrieved.ranked
        return [
            self._passage(int(r), float(s)) for r, s in zip(ranked.rows[:k], ranked.fused[:k], strict=True)
        ]

    def ask(self, question: str, top_k: int, audience: Audience = EVERYONE) -> Answer:
        topic = author_topic(question)
        # "who wrote?" names no article: an empty topic gets the no-content-words answer.
        query = self.kb.analyzer.analyze(question if topic is None else topic)
        vector, without = self.embed_question(query)
        retrieved = self.retriever.retrieve(query, vector, self.kb.scope(audience))
        selection = self.select(query, retrieved, without)
        if topic is not None:
            selection = self._author(retrieved, selection)
        confidence = self.abstention.confidence(selection.signals) if query.coverage_terms else 0.0
        cand = selection.candidate
        answered = cand is not None and self.abstention.answers(confidence)
        order = [int(r) for r in retrieved.ranked.rows]
        scores = dict(zip(order, retrieved.ranked.fused.tolist(), strict=True))
        if answered and cand is not None:
            order.remove(cand.chunk_id)
            order.insert(0, cand.chunk_id)
        threshold = self.abstention.threshold
        if answered and cand is not None:
            span = (cand.start, cand.end)
            passages = [
                self._passage(r, scores[r], span if i == 0 else None) for i, r in enumerate(order[:top_k])
            ]
            doc = self.kb.document_of(cand)
            display = render(doc.text, cand.start, cand.end, self.kb.tables(doc.doc_id))
            text = self.kb.span_text(cand)
            return Answer(question, text, span, confidence, None, passages, selection, display, threshold)
        passages = [self._passage(r, scores[r]) for r in order[:top_k]]
        reason = self._reason(query, selection, confidence)
        return Answer(question, None, None, confidence, reason, passages, selection, None, threshold)

    def select(self, query: AnalyzedQuery, retrieved: Retrieved, without: dict[str, np.ndarray]) -> Selection:
        pool = self.pool(query, retrieved)
        if self.reader is not None:
            pool = read(
                self.kb,
                shortlist(pool, DEFAULT_WEIGHTS, self.tuning.reader_depth),
                query.repaired,
                self.reader,
            )
        best = choose(self.kb, pool, self.tuning.answer)
        signals = abstention_signals(self.kb, self.lexical, query, retrieved, pool, best, without)
        return Selection(pool.candidates[best] if best >= 0 else None, signals)

    def pool(self, query: AnalyzedQuery, retrieved: Retrieved) -> Pool:
        """The answer candidates of the top passages, with their features."""
        return candidate_pool(self.kb, self.lexical, query, retrieved, self.tuning.answer_passages)

    def embed_question(self, query: AnalyzedQuery) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The question's vector and, in the same batch, its vectors without each word the corpus lacks."""
        unknown = sorted({t for t in query.coverage_terms if not self.lexical.known(t)})[:MAX_ABLATIONS]
        variants = {t: v for t in unknown if (v := self.kb.analyzer.without(query.repaired, t))}
        vector, *others = self.embedder.embed([query.repaired, *variants.values()])
        return vector, dict(zip(variants, others, strict=True))

    def _author(self, retrieved: Retrieved, topic: Selection) -> Selection:
        """The answer to "who wrote <topic>?": the author's name where the best-matching
        document's text names them. Whether the knowledge base has that document at all is
        judged on the topic, like any other question."""
        if not retrieved.ranked.rows.size:
            return topic
        doc = self.kb.documents[self.kb.chunks[int(retrieved.ranked.rows[0])].doc_id]
        found = author_span(doc, self.kb.chunks)
        if found is None:
            return Selection(None, topic.signals, f"“{doc.title}” does not name its author.")
        return Selection(found, topic.signals)

    def _reason(self, query: AnalyzedQuery, selection: Selection, confidence: float) -> str:
        if not query.coverage_terms:
            return NO_CONTENT_WORDS
        if selection.reason is not None and self.abstention.answers(confidence):
            return selection.reason
        return NOT_COVERED

    def _passage(self, row: int, score: float, mark: tuple[int, int] | None = None) -> Passage:
        """A passage as cited, with how a person reads it (`mark`: the answer span inside it)."""
        chunk = self.kb.chunks[row]
        doc = self.kb.documents[chunk.doc_id]
        if mark is None:
            display = self.kb.shown(row)
        else:
            display = render(doc.text, chunk.start, chunk.end, self.kb.tables(doc.doc_id), mark)
        return Passage(
            doc.doc_id,
            doc.title,
            chunk.section,
            chunk.start,
            chunk.end,
            doc.text[chunk.start : chunk.end],
            score,
            display,
            doc.meta,
        )
