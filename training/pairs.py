"""Training and validation examples for the reranker, built from SQuAD.

Per question: the positive is the sentence that holds the answer (sentences split with the
indexer's own splitter, so they are cut the way the knowledge base is); hard negatives are the
other sentences of its paragraph; retrieval negatives are sentences of *other* paragraphs and
articles that BM25 and the bundled dense model rank high for the question. The retrieval
negatives are what production pools look like when the knowledge base does not say: on-topic
text that does not answer.

Questions whose answer text occurs more than once in the paragraph, or crosses a sentence
boundary, are dropped: which sentence is "the" answer would be a guess. Retrieved sentences that
contain the answer text are dropped too, as they may well answer the question.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.sentences import split_sentences
from training.squad import Article, Paragraph, Question

MIN_WORDS = 4  # shorter "sentences" are splitter leftovers ("No.", "See below."), not candidates


@dataclass(frozen=True)
class Located:
    """A usable question: where its paragraph is and which sentence holds the answer."""

    question: Question
    article: int
    paragraph: int
    sentence: int
    answer: str


@dataclass(frozen=True)
class Example:
    """One question with everything a training group or a validation pool is drawn from.

    Texts are bare spans; titles are kept apart so the candidate format is applied at batch
    time by `service.reranker.candidate_input`, the function serving uses.
    """

    qid: str
    question: str
    title: str
    sentences: tuple[str, ...]  # the paragraph's sentences, in order
    positive: int  # index into sentences; -1: nothing here answers (a near miss)
    retrieved: tuple[tuple[str, str], ...]  # (title, sentence) from other paragraphs, best first
    # Candidates already formatted as serving reads them (a pool of structured pages, see
    # training.structured): no title is added and no windows are made of them.
    structured: bool = False

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Example:
        retrieved = data["retrieved"]
        sentences = data["sentences"]
        assert isinstance(retrieved, list) and isinstance(sentences, list)
        return cls(
            qid=str(data["qid"]),
            question=str(data["question"]),
            title=str(data["title"]),
            sentences=tuple(str(s) for s in sentences),
            positive=int(str(data["positive"])),
            retrieved=tuple((str(t), str(s)) for t, s in retrieved),
            structured=bool(data.get("structured", False)),
        )

    def with_question(self, question: str, qid: str) -> Example:
        """The same positive and negatives for another wording of the question (a paraphrase)."""
        return Example(
            qid, question, self.title, self.sentences, self.positive, self.retrieved, self.structured
        )


def sentence_texts(paragraph: Paragraph) -> list[tuple[int, int]]:
    """Sentence spans of a paragraph's context, as (start, end)."""
    return [(s.start, s.end) for s in split_sentences(paragraph.context)]


def locate(
    paragraph: Paragraph, question: Question, spans: Sequence[tuple[int, int]]
) -> tuple[int, str] | None:
    """(index of the sentence holding the answer, answer text), or None when ambiguous."""
    if not question.answers:
        return None
    answer = question.answers[0]
    text = answer.text.strip()
    context = paragraph.context
    if not text or context.count(text) != 1:
        return None
    start = context.find(text)
    end = start + len(text)
    for i, (s, e) in enumerate(spans):
        if s <= start and end <= e:
            return i, text
    return None  # the answer crosses a sentence boundary


def locate_all(articles: Sequence[Article], article_ids: Iterable[int]) -> list[Located]:
    located: list[Located] = []
    for a in article_ids:
        for p, paragraph in enumerate(articles[a].paragraphs):
            spans = sentence_texts(paragraph)
            for question in paragraph.questions:
                found = locate(paragraph, question, spans)
                if found is not None:
                    located.append(Located(question, a, p, found[0], found[1]))
    return located


@dataclass
class SentencePool:
    """Sentences of a set of articles, searchable by BM25 and by the bundled dense model."""

    texts: list[str]
    titles: list[str]
    keys: list[tuple[int, int]]  # (article, paragraph) of each sentence

    @classmethod
    def of(cls, articles: Sequence[Article], article_ids: Iterable[int]) -> SentencePool:
        texts: list[str] = []
        titles: list[str] = []
        keys: list[tuple[int, int]] = []
        for a in article_ids:
            for p, paragraph in enumerate(articles[a].paragraphs):
                for s, e in sentence_texts(paragraph):
                    text = paragraph.context[s:e]
                    if len(text.split()) >= MIN_WORDS:
                        texts.append(text)
                        titles.append(articles[a].display_title)
                        keys.append((a, p))
        return cls(texts, titles, keys)


def bm25_search(pool: SentencePool, questions: Sequence[str], k: int) -> np.ndarray:
    """Indices (len(questions), k) of the pool's BM25 top-k sentences per question."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(pool.texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
    )
    tokens = bm25s.tokenize(list(questions), stopwords="en", stemmer=stemmer, show_progress=False)
    results, _ = retriever.retrieve(tokens, k=min(k, len(pool.texts)), show_progress=False)
    return np.asarray(results)


@functools.cache
def _dense_model() -> Any:
    from sentence_transformers import SentenceTransformer

    from service.reranker import bundled_base_path

    model = SentenceTransformer(str(bundled_base_path()), device="cpu", local_files_only=True)
    model.max_seq_length = 64
    return model


def dense_embed(texts: Sequence[str], *, batch_size: int = 64, progress: bool = True) -> np.ndarray:
    """Unit vectors of texts from the bundled MiniLM (max 64 tokens: enough to mine with)."""
    vectors = _dense_model().encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=progress,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def dense_search(pool_vectors: np.ndarray, question_vectors: np.ndarray, k: int) -> np.ndarray:
    """Indices (n_questions, k) of the most similar pool sentences, best first."""
    k = min(k, pool_vectors.shape[0])
    out = np.empty((question_vectors.shape[0], k), dtype=np.int64)
    for begin in range(0, question_vectors.shape[0], 512):
        sims = question_vectors[begin : begin + 512] @ pool_vectors.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(sims, top, axis=1).argsort(axis=1)[:, ::-1]
        out[begin : begin + 512] = np.take_along_axis(top, order, axis=1)
    return out


def build_examples(
    articles: Sequence[Article],
    located: Sequence[Located],
    pool: SentencePool,
    *,
    per_source: int = 8,
    pool_vectors: np.ndarray | None = None,
    progress: bool = True,
) -> list[Example]:
    """Examples with retrieval negatives: BM25 and dense hits interleaved (so both kinds are
    present whatever the cut), from other paragraphs, without sentences holding the answer."""
    if not located:
        return []
    questions = [item.question.question for item in located]
    depth = per_source * 3 + 8  # room for the hits that the filters drop
    lexical = bm25_search(pool, questions, depth)
    if pool_vectors is None:
        pool_vectors = dense_embed(pool.texts, progress=progress)
    dense = dense_search(pool_vectors, dense_embed(questions, progress=progress), depth)
    examples: list[Example] = []
    for row, item in enumerate(located):
        paragraph = articles[item.article].paragraphs[item.paragraph]
        sentences = tuple(paragraph.context[s:e] for s, e in sentence_texts(paragraph))
        answer = item.answer.lower()
        own = (item.article, item.paragraph)

        def keep(i: int, answer: str = answer, own: tuple[int, int] = own) -> bool:
            return pool.keys[i] != own and answer not in pool.texts[i].lower()

        hits_l = [int(i) for i in lexical[row] if keep(int(i))][:per_source]
        hits_d = [int(i) for i in dense[row] if keep(int(i))][:per_source]
        merged: list[int] = []
        for pair in zip(hits_l + [-1] * per_source, hits_d + [-1] * per_source, strict=False):
            for i in pair:
                if i >= 0 and i not in merged:
                    merged.append(i)
        examples.append(
            Example(
                qid=item.question.id,
                question=item.question.question,
                title=articles[item.article].display_title,
                sentences=sentences,
                positive=item.sentence,
                retrieved=tuple((pool.titles[i], pool.texts[i]) for i in merged),
            )
        )
    return examples


def load_paraphrases(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """(squad id, paraphrased question) pairs from JSONL files; blank and duplicate lines skipped."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for path in paths:
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                pair = (str(record["id"]), str(record["question"]).strip())
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{line_no}: not a {{'id', 'question'}} line: {exc}") from exc
            if pair[1] and pair not in seen:
                seen.add(pair)
                out.append(pair)
    return out


@dataclass(frozen=True)
class Group:
    """One question's training group: candidate texts (already formatted) and which is positive
    (-1: none is)."""

    question: str
    candidates: tuple[str, ...]
    positive: int


def make_group(
    example: Example, rng: random.Random, *, size: int, title_rate: float, window_rate: float
) -> Group:
    """Positive + hard negatives (same paragraph) + retrieval negatives, `size` in all.

    About half of the negatives are retrieval ones when the paragraph has enough sentences. With
    `window_rate` the positive is a 2-sentence window around the answer sentence (serving also
    proposes windows; the model must not penalise them) and, independently, one same-paragraph
    negative is a window of two non-answer sentences (so "is a window" predicts nothing). The
    article title is shown with `title_rate`, as serving shows heading paths for most candidates.
    """
    from service.reranker import candidate_input

    if example.positive < 0:
        return _unanswered_group(example, rng, size=size, title_rate=title_rate)
    sents = example.sentences
    pos = example.positive
    n_neg = size - 1
    others = [i for i in range(len(sents)) if i != pos and len(sents[i].split()) >= MIN_WORDS]
    rng.shuffle(others)
    n_para = min(len(others), max(n_neg // 2, n_neg - len(example.retrieved)))
    para = others[:n_para]
    retrieved = list(example.retrieved)
    # Favour the best-ranked retrieval hits (hardest), but not only them.
    top = retrieved[: max(4, n_neg)]
    rng.shuffle(top)
    chosen_retrieved = top[: n_neg - len(para)]

    def fmt(text: str, title: str) -> str:
        return candidate_input(text, title=title if rng.random() < title_rate else "")

    positive_text = sents[pos]
    if not example.structured and rng.random() < window_rate and len(sents) > 1:
        if pos == 0 or (pos + 1 < len(sents) and rng.random() < 0.5):
            positive_text = f"{sents[pos]} {sents[pos + 1]}"
        else:
            positive_text = f"{sents[pos - 1]} {sents[pos]}"
    negatives = [sents[i] for i in para]
    if negatives and not example.structured and rng.random() < window_rate:
        pairs = [i for i in range(len(sents) - 1) if pos not in (i, i + 1)]
        if pairs:
            i = rng.choice(pairs)
            negatives[0] = f"{sents[i]} {sents[i + 1]}"
    texts = [fmt(positive_text, example.title)]
    texts += [fmt(t, example.title) for t in negatives]
    texts += [fmt(t, title) for title, t in chosen_retrieved]
    order = list(range(len(texts)))
    rng.shuffle(order)
    return Group(example.question, tuple(texts[i] for i in order), order.index(0))


def _unanswered_group(example: Example, rng: random.Random, *, size: int, title_rate: float) -> Group:
    """A near miss's group: `size` candidates, none of which answers — a structured page's units,
    or the best retrieval hits from other paragraphs (favoured, not only them, as above)."""
    from service.reranker import candidate_input

    if example.structured:
        texts = list(example.sentences)
        rng.shuffle(texts)
        return Group(example.question, tuple(texts[:size]), -1)
    if example.sentences:  # a question asked about another name (training.perturb)
        return _swapped_group(example, rng, size=size, title_rate=title_rate)
    top = list(example.retrieved[: size + 2])
    rng.shuffle(top)
    shown = [(t, title if rng.random() < title_rate else "") for title, t in top[:size]]
    return Group(example.question, tuple(candidate_input(t, title=title) for t, title in shown), -1)


def _swapped_group(example: Example, rng: random.Random, *, size: int, title_rate: float) -> Group:
    """A perturbed question's group: the sentence that answered the original question (always),
    about half the group from the rest of its paragraph, the remainder retrieval hits."""
    from service.reranker import candidate_input

    rest = [s for s in example.sentences[1:] if len(s.split()) >= MIN_WORDS]
    rng.shuffle(rest)
    own = [(example.sentences[0], example.title), *((s, example.title) for s in rest[: size // 2 - 1])]
    top = list(example.retrieved[: size + 2])
    rng.shuffle(top)
    shown = own + [(t, title) for title, t in top[: size - len(own)]]
    texts = [candidate_input(t, title=title if rng.random() < title_rate else "") for t, title in shown]
    rng.shuffle(texts)
    return Group(example.question, tuple(texts), -1)


def validation_pool(example: Example, *, retrieved: int) -> tuple[list[str], int, int]:
    """(candidates, index of the positive, number of in-paragraph candidates): the paragraph's
    sentences first, then `retrieved` sentences of other paragraphs; all with their title, as
    serving shows a heading path."""
    from service.reranker import candidate_input

    paragraph = [candidate_input(s, title=example.title) for s in example.sentences]
    others = [candidate_input(s, title=t) for t, s in example.retrieved[:retrieved]]
    return paragraph + others, example.positive, len(paragraph)
