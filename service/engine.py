"""The question-answering pipeline over a loaded index: retrieve passages, select an answer span,
decide whether to abstain, and build citations. `KnowledgeBase` holds the loaded state; the
scoring it calls lives in retrieval.py, answer.py and abstention.py."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from indexer.build import passage_text
from indexer.chunking import Candidate
from indexer.embedding import Embedder
from indexer.models import Chunk, Document, UnitKind
from indexer.store import IndexData, read_index
from indexer.text import word_count
from service.abstention import (
    DEFAULT_MODEL_PATH,
    PARAPHRASE_GAIN,
    AbstentionModel,
    Signals,
    type_mismatch,
)
from service.answer import (
    AnswerWeights,
    SpanFeatures,
    answer_type,
    best_index,
    is_fragment,
    leans_on_previous,
    needs_next_sentence,
    novelty,
    overflow,
    similarity_gated,
    span_scores,
)
from service.api_models import AskResponse, Citation, SearchResponse
from service.errors import DocumentNotFound, IndexMismatch
from service.lexical import Analyzer, LexicalIndex
from service.metadata import author_name, author_topic, mentions
from service.retrieval import FusionWeights, PassageScores, candidate_rows, fuse


@dataclass(frozen=True)
class _Query:
    """A question after retrieval: its ranked passages, coverage terms and span similarities."""

    question: str
    repaired: str  # typos repaired ("diffrence" -> "difference"): what answer types are read from
    ranked: PassageScores
    terms: list[str]
    span_sims: np.ndarray
    rankings_agree: bool  # dense and lexical search rank the same passage first
    # For each question term the corpus lacks, the question's vector with that term left out:
    # whether the answer says the word in other words (see `_paraphrased`).
    without: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Tuning:
    fusion: FusionWeights = FusionWeights()
    answer: AnswerWeights = AnswerWeights()
    search_depth: int = 50
    answer_passages: int = 4


@dataclass(frozen=True)
class Selection:
    """The chosen span and the signals the abstention model reads; `reason` says why there is
    no span when the cause is known (the document does not name its author)."""

    candidate: Candidate | None
    signals: Signals
    reason: str | None = None


class KnowledgeBase:
    def __init__(
        self, data: IndexData, embedder: Embedder, abstention: AbstentionModel, tuning: Tuning | None = None
    ) -> None:
        _check_compatible(data, embedder)
        self.data = data
        self.embedder = embedder
        self.abstention = abstention
        self.tuning = tuning or Tuning()
        self._docs = {d.doc_id: d for d in data.documents}
        self._chunks = data.chunks
        texts = [passage_text(c, self._docs[c.doc_id]) for c in self._chunks]
        self.analyzer = Analyzer.from_texts([d.text for d in data.documents])
        self.lexical = LexicalIndex(self.analyzer, texts)
        self._context_terms = [set(self.analyzer.doc_terms(c.context)) for c in self._chunks]
        self._passages = faiss.IndexFlatIP(data.passage_vectors.shape[1])
        self._passages.add(data.passage_vectors)
        self._clause_owner = np.asarray(data.clause_owner, dtype=np.int64)
        # Terms of each answer span (and of its lead-in line), computed once instead of per query.
        self._span_terms = [self._terms_of(c) for c in data.candidates]
        self._by_chunk: dict[int, list[int]] = defaultdict(list)
        for row, cand in enumerate(data.candidates):
            self._by_chunk[cand.chunk_id].append(row)

    @classmethod
    def load(
        cls,
        index_dir: Path,
        embedder: Embedder,
        abstention_path: Path | None = None,
        tuning: Tuning | None = None,
    ) -> KnowledgeBase:
        """An index from disk, with the fitted abstention model (default: service/abstention.json)."""
        model = AbstentionModel.from_file(abstention_path or DEFAULT_MODEL_PATH)
        return cls(read_index(index_dir), embedder, model, tuning)

    @property
    def manifest(self) -> dict[str, object]:
        return self.data.manifest

    def document(self, doc_id: str) -> Document:
        try:
            return self._docs[doc_id]
        except KeyError:
            raise DocumentNotFound(doc_id) from None

    # -- retrieval ---------------------------------------------------------------------------

    def _rank(self, question: str, *, ablations: bool = False) -> _Query:
        """The ranked passages of a question; with `ablations`, also the vectors of the question
        without each of its words the corpus lacks, embedded in the same batch."""
        terms = self.analyzer.query_terms(question)
        coverage_terms = self.analyzer.coverage_terms(question)
        repaired = self.analyzer.rewrite(question) or question
        variants = {}
        if ablations:
            unknown = sorted({t for t in coverage_terms if not self.lexical.known(t)})
            variants = {t: v for t in unknown if (v := self.analyzer.without(repaired, t))}
        vector, *others = self.embedder.embed([repaired, *variants.values()])
        depth = min(self.tuning.search_depth, len(self._chunks))
        _, dense_rows = self._passages.search(vector[None, :], depth)
        bm25 = self.lexical.scores(terms)
        rows = candidate_rows(dense_rows[0][dense_rows[0] >= 0], bm25, depth)
        dense = self.data.passage_vectors[rows] @ vector
        context = self.data.context_vectors[rows] @ vector
        span_sims = self._span_similarities(vector)
        best_span = np.array(
            [max((span_sims[i] for i in self._by_chunk.get(int(r), [])), default=0.0) for r in rows]
        )
        ranked = fuse(rows, dense, context, bm25, best_span, self.tuning.fusion)
        agree = bool(
            dense_rows[0].size and bm25.size and dense_rows[0][0] == int(np.argmax(bm25)) and bm25.max() > 0
        )
        without = dict(zip(variants, others, strict=True))
        return _Query(question, repaired, ranked, coverage_terms, span_sims, agree, without)

    def _terms_of(self, cand: Candidate) -> tuple[list[str], set[str]]:
        own = self.analyzer.doc_terms(self._span_text(cand))
        return own, set(own) | set(self.analyzer.doc_terms(self._lead_text(cand)))

    def _span_similarities(self, vector: np.ndarray) -> np.ndarray:
        """Each candidate's similarity to the question: the better of the whole span and its best clause."""
        sims = self.data.candidate_vectors @ vector
        if self._clause_owner.size:
            np.maximum.at(sims, self._clause_owner, self.data.clause_vectors @ vector)
        return sims

    def search(self, query: str, k: int) -> SearchResponse:
        started = time.perf_counter()
        ranked = self._rank(query).ranked
        results = [
            self._citation(int(r), float(s)) for r, s in zip(ranked.rows[:k], ranked.fused[:k], strict=True)
        ]
        return SearchResponse(query=query, results=results, took_ms=_ms(started))

    # -- answering ---------------------------------------------------------------------------

    def span_features(self, query: _Query) -> tuple[list[int], list[SpanFeatures]]:
        """Candidate rows inside the top passages, with their features."""
        ranked, terms = query.ranked, query.terms
        top = min(self.tuning.answer_passages, ranked.rows.size)
        rows: list[int] = []
        passage_of: list[float] = []
        for i in range(top):
            chunk_rows = self._by_chunk.get(int(ranked.rows[i]), [])
            rows.extend(chunk_rows)
            passage_of.extend([float(ranked.fused[i])] * len(chunk_rows))
        if not rows:
            return [], []
        asked = set(terms)
        compared = self.analyzer.compared(query.repaired)
        # Spans are compared on the words the corpus has: an unknown word cannot tell spans apart
        # (its absence is the abstention model's business).
        known = [t for t in terms if self.lexical.known(t)]
        sims = query.span_sims[rows]
        context_sims = dict(zip(ranked.rows.tolist(), ranked.context.tolist(), strict=True))
        features: list[SpanFeatures] = []
        for row, sim, passage in zip(rows, sims, passage_of, strict=True):
            cand = self.data.candidates[row]
            chunk = self._chunks[cand.chunk_id]
            span = self._span_text(cand)
            own_terms, own = self._span_terms[row]
            seen = own | self._context_terms[cand.chunk_id]
            both_sides = compared is None or all(side & seen for side in compared)
            first_unit = chunk.units[cand.first]
            # A table row says what it answers through its header ("Water when | Top 2 cm is dry").
            typed = f"{self._lead_text(cand)} {span}" if first_unit.kind is UnitKind.ROW else span
            features.append(
                SpanFeatures(
                    similarity=float(sim),
                    passage=passage,
                    coverage=similarity_gated(self.lexical.coverage(known, seen), float(sim)),
                    own_coverage=similarity_gated(self.lexical.coverage(known, own), float(sim)),
                    novelty=novelty(own_terms, asked),
                    # Prose opens with its topic sentence; list items and table rows are peers.
                    lead=float(
                        first_unit.kind is not UnitKind.SENTENCE
                        or cand.first == 0
                        or chunk.blocks[cand.first - 1] != chunk.blocks[cand.first]
                    ),
                    whole_list=float(first_unit.kind is not UnitKind.SENTENCE and cand.last > cand.first),
                    extra_units=float(cand.last - cand.first)
                    if first_unit.kind is UnitKind.SENTENCE
                    else 0.0,
                    # A single list item or table row is one point as its author wrote it, with
                    # nothing to trim; the length penalty is for stitched windows and long prose.
                    overflow=0.0
                    if first_unit.kind is not UnitKind.SENTENCE and cand.first == cand.last
                    else overflow(word_count(span)),
                    answer_type=answer_type(
                        query.repaired,
                        typed,
                        fragment=is_fragment(span, first_unit.kind is not UnitKind.ITEM),
                        both_sides=both_sides,
                    ),
                    faq_answer=context_sims[cand.chunk_id] if self._whole_faq_answer(chunk, cand) else 0.0,
                )
            )
        return rows, features

    @staticmethod
    def _whole_faq_answer(chunk: Chunk, cand: Candidate) -> bool:
        """An FAQ answer paragraph is written to answer its question in full."""
        if chunk.kind != "faq":
            return False
        block = chunk.blocks[cand.first]
        starts = cand.first == 0 or chunk.blocks[cand.first - 1] != block
        ends = cand.last == len(chunk.units) - 1 or chunk.blocks[cand.last + 1] != block
        return starts and ends

    def _past_echo(self, rows: list[int], features: list[SpanFeatures], best: int) -> int:
        """A span that mostly restates the question ("The metrics of a CSO and CRO differ.") is
        extended by the sentence after it, where the actual answer usually follows; so is a
        sentence too short to stand alone ("Avoid white vinegar.", "No."), which the next one
        explains."""
        if best < 0:
            return best
        chosen = self.data.candidates[rows[best]]
        sentence = (
            chosen.first == chosen.last
            and self._chunks[chosen.chunk_id].units[chosen.first].kind is UnitKind.SENTENCE
        )
        if not needs_next_sentence(self._span_text(chosen), features[best].novelty, sentence):
            return best
        return self._find(rows, chosen.chunk_id, chosen.first, chosen.last + 1, best)

    def _with_antecedent(self, rows: list[int], best: int) -> int:
        """A span that opens by leaning on the sentence before it ("The COO, on the other hand,
        ...", "They also ...") is extended back to include that sentence."""
        if best < 0:
            return best
        chosen = self.data.candidates[rows[best]]
        chunk = self._chunks[chosen.chunk_id]
        if chunk.units[chosen.first].kind is not UnitKind.SENTENCE:
            return best
        if not leans_on_previous(self._span_text(chosen)):
            return best
        return self._find(rows, chosen.chunk_id, chosen.first - 1, chosen.last, best)

    def _find(self, rows: list[int], chunk_id: int, first: int, last: int, default: int) -> int:
        """Position in `rows` of the candidate covering units first..last of a chunk, if any."""
        for i, row in enumerate(rows):
            cand = self.data.candidates[row]
            if cand.chunk_id == chunk_id and cand.first == first and cand.last == last:
                return i
        return default

    def select(self, query: _Query) -> Selection:
        ranked, terms, question = query.ranked, query.terms, query.repaired
        rows, features = self.span_features(query)
        best = self._with_antecedent(
            rows, self._past_echo(rows, features, best_index(span_scores(features, self.tuning.answer)))
        )
        known = {t for t in terms if self.lexical.known(t)}
        if best >= 0:
            known |= self._paraphrased(query, rows[best], features[best].similarity)
        corpus_coverage = self.lexical.coverage(terms, known) if terms else 0.0
        fused = ranked.fused
        margin = float(fused[0] - fused[1]) if fused.size > 1 else float(fused[0]) if fused.size else 0.0
        chosen = self.data.candidates[rows[best]] if best >= 0 else None
        signals = Signals(
            span_similarity=features[best].similarity if best >= 0 else 0.0,
            passage_dense=float(ranked.dense[0]) if ranked.dense.size else 0.0,
            span_coverage=features[best].coverage if best >= 0 else 0.0,
            corpus_coverage=corpus_coverage,
            passage_margin=margin,
            type_mismatch=type_mismatch(question, self._span_text(chosen)) if chosen is not None else 0.0,
            rankings_agree=float(query.rankings_agree),
        )
        return Selection(chosen, signals)

    def _paraphrased(self, query: _Query, row: int, similarity: float) -> set[str]:
        """The question's words the corpus lacks but the chosen span says in other words: leaving
        such a word out of the question lowers the span's similarity by more than
        PARAPHRASE_GAIN ("is the office shut on bank holidays" against "The office closes on
        public holidays"). A word the span says nothing about ("which brand of kettle should I
        buy" against a span on kitchen cleaning) leaves the similarity as it is or raises it."""
        if not query.without:
            return set()
        span = self.data.candidate_vectors[row][None, :]
        if self._clause_owner.size:
            span = np.vstack([span, self.data.clause_vectors[self._clause_owner == row]])
        sims = (span @ np.stack(list(query.without.values())).T).max(axis=0)
        drops = {t: similarity - float(sim) for t, sim in zip(query.without, sims, strict=True)}
        return {t for t, drop in drops.items() if drop > PARAPHRASE_GAIN}

    def _author(self, query: _Query, topic: Selection) -> Selection:
        """The answer to "who wrote <topic>?": the author's name where the best-matching
        document's text names them. Whether the knowledge base has that document at all is
        judged on the topic, like any other question."""
        if not query.ranked.rows.size:
            return topic
        doc = self._docs[self._chunks[int(query.ranked.rows[0])].doc_id]
        name = author_name(doc.text, doc.meta.get("author"))
        for start, end in mentions(doc.text, name) if name else []:
            for chunk in self._chunks:
                if chunk.doc_id == doc.doc_id and chunk.start <= start and end <= chunk.end:
                    unit = next(
                        i for i, u in enumerate(chunk.units) if start < u.end or i == len(chunk.units) - 1
                    )
                    return Selection(Candidate(chunk.chunk_id, unit, unit, start, end), topic.signals)
        return Selection(None, topic.signals, f"“{doc.title}” does not name its author.")

    def _span_text(self, cand: Candidate) -> str:
        return self._docs[self._chunks[cand.chunk_id].doc_id].text[cand.start : cand.end]

    def _lead_text(self, cand: Candidate) -> str:
        if cand.lead_start < 0:
            return ""
        return self._docs[self._chunks[cand.chunk_id].doc_id].text[cand.lead_start : cand.lead_end]

    def ask_detailed(self, question: str, top_k: int) -> tuple[AskResponse, Selection]:
        started = time.perf_counter()
        topic = author_topic(question)
        # "who wrote?" names no article: an empty topic gets the no-content-words answer.
        query = self._rank(question if topic is None else topic, ablations=True)
        ranked, terms = query.ranked, query.terms
        selection = self.select(query)
        if topic is not None:
            selection = self._author(query, selection)
        confidence = self.abstention.confidence(selection.signals) if terms else 0.0
        cand = selection.candidate
        answered = cand is not None and confidence >= self.abstention.threshold
        order = [int(r) for r in ranked.rows]
        scores = {int(r): float(s) for r, s in zip(ranked.rows, ranked.fused, strict=True)}
        if answered and cand is not None:
            order.remove(cand.chunk_id)
            order.insert(0, cand.chunk_id)
        citations = [self._citation(r, scores[r]) for r in order[:top_k]]
        answer: str | None = None
        reason: str | None = None
        if answered and cand is not None:
            first = citations[0]
            first.highlight = (cand.start - first.start, cand.end - first.start)
            answer = first.excerpt[first.highlight[0] : first.highlight[1]]
        elif not terms:
            reason = "The question has no content words to look up; ask about a topic."
        elif selection.reason is not None and confidence >= self.abstention.threshold:
            reason = selection.reason
        else:
            reason = (
                f"The knowledge base does not appear to answer this question (confidence {confidence:.2f} "
                f"is below {self.abstention.threshold:.2f}); the closest passages are cited as related."
            )
        response = AskResponse(
            question=question,
            answer=answer,
            confidence=round(confidence, 4),
            reason=reason,
            citations=citations,
            took_ms=_ms(started),
        )
        return response, selection

    def ask(self, question: str, top_k: int) -> AskResponse:
        return self.ask_detailed(question, top_k)[0]

    def _citation(self, row: int, score: float) -> Citation:
        chunk: Chunk = self._chunks[row]
        doc = self._docs[chunk.doc_id]
        return Citation(
            doc_id=doc.doc_id,
            title=doc.title,
            section=" > ".join(chunk.section),
            excerpt=doc.text[chunk.start : chunk.end],
            start=chunk.start,
            end=chunk.end,
            highlight=None,
            score=round(score, 4),
        )


def _check_compatible(data: IndexData, embedder: Embedder) -> None:
    model = data.manifest.get("model", {})
    if model.get("dimension") != embedder.dimension:
        raise IndexMismatch(
            f"index vectors have dimension {model.get('dimension')}, model {embedder.model_id} gives "
            f"{embedder.dimension}; rebuild the index with this model"
        )
    if model.get("id") != embedder.model_id or (
        model.get("weights_sha256")
        and embedder.weights_sha256
        and model["weights_sha256"] != embedder.weights_sha256
    ):
        raise IndexMismatch(
            f"index was built with model {model.get('id')} ({model.get('weights_sha256')}), the "
            f"service loaded {embedder.model_id} ({embedder.weights_sha256}); rebuild the index or "
            "configure KBQA_MODEL"
        )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
