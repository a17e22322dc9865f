"""A synthetic knowledge base of any size (100k, 1M passages) with the structure of a real one —
topics and subtopics, documents with titles and headed sections, Zipf-distributed words, and
boilerplate passages repeated across many documents ("Contact the service desk ...") — and
vectors synthesised with the same structure instead of embedding a million texts on two cores.

Vectors: every passage shares a corpus-wide direction (sentence embeddings are anisotropic: two
unrelated passages still have a cosine of ~0.1-0.2), plus its topic's, its subtopic's and its
document's directions, plus noise; boilerplate passages are near-duplicates of one another. The
result has the cosine structure an ANN index finds hard: dense clusters, near-ties, duplicates.

Everything is held as numpy arrays (passage -> document, section heading, token ids as CSR), and
`write_markdown` writes documents as `.md` files, so the real indexer can read a sample of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "zen", "dra", "pel", "qua", "ost", "rin", "bel")
BOILERPLATE = (
    "For help with this page contact the service desk on extension 4400",
    "This page was last reviewed by the content team and is checked every quarter",
    "Printed copies of this document are uncontrolled; the intranet version is current",
    "Share this page with your team using the link below",
    "Related policies and forms are listed in the document library",
)
DIMENSION = 384


@dataclass(frozen=True)
class SyntheticCorpus:
    """Row-aligned per-passage arrays; words are ids into `vocabulary`."""

    vocabulary: list[str]
    titles: list[str]  # per document
    headings: list[str]  # section headings, indexed by `heading_of`
    doc_of: np.ndarray  # int32, passage -> document
    topic_of: np.ndarray  # int32, passage -> topic (-1: boilerplate)
    heading_of: np.ndarray  # int32, passage -> heading
    token_indptr: np.ndarray  # int64, CSR over passages
    token_ids: np.ndarray  # int32

    @property
    def passages(self) -> int:
        return len(self.doc_of)

    def text(self, row: int) -> str:
        ids = self.token_ids[self.token_indptr[row] : self.token_indptr[row + 1]]
        return " ".join(self.vocabulary[i] for i in ids)


def pseudo_words(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct pronounceable made-up words (no real word: nothing here is tuned to a corpus)."""
    words: dict[str, None] = {}
    while len(words) < n:
        parts = rng.integers(0, len(SYLLABLES), size=rng.integers(2, 5))
        words.setdefault("".join(SYLLABLES[p] for p in parts), None)
    return list(words)


def _zipf_ranks(rng: np.random.Generator, pool: int, size: int) -> np.ndarray:
    """`size` draws of ranks 0..pool-1 with probability proportional to 1/(rank+1)."""
    cdf = np.cumsum(1.0 / np.arange(1, pool + 1))
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1]), pool - 1)


def _positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Flat positions starts[i] .. starts[i] + counts[i] - 1, for every i."""
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


@dataclass(frozen=True)
class Shape:
    """How the corpus is laid out; the defaults give ~8 passages a document, ~2000 a topic."""

    passages: int
    passages_per_doc: float = 8.0
    passages_per_topic: int = 2000
    subtopics: int = 8
    vocabulary: int = 30_000
    topic_words: int = 300
    boilerplate_share: float = 0.05
    seed: int = 0


def generate(shape: Shape) -> SyntheticCorpus:
    rng = np.random.default_rng(shape.seed)
    vocab = pseudo_words(shape.vocabulary, rng)
    boiler_words = [w.lower().strip(";,") for s in BOILERPLATE for w in s.split()]
    vocab_index = {w: i for i, w in enumerate(vocab)}
    for w in boiler_words:
        vocab_index.setdefault(w, len(vocab))
        if vocab_index[w] == len(vocab):
            vocab.append(w)
    n = shape.passages
    topics = max(2, n // shape.passages_per_topic)
    # Documents of geometric size; a topic owns consecutive documents.
    sizes = rng.geometric(1 / shape.passages_per_doc, size=n // 2 + 1)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= int(sizes.sum() - n)
    doc_of = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    doc_topic = np.sort(rng.integers(0, topics, size=len(sizes))).astype(np.int32)
    topic_of = doc_topic[doc_of]
    boiler = rng.random(n) < shape.boilerplate_share
    boiler_kind = rng.integers(0, len(BOILERPLATE), size=n)
    # A section every ~3 passages; its heading is made of topic words.
    section = np.cumsum(rng.random(n) < 1 / 3).astype(np.int32)
    topic_pools = np.stack(
        [rng.choice(shape.vocabulary, size=shape.topic_words, replace=False) for _ in range(topics)]
    )
    boiler_ids = [
        np.array([vocab_index[w.lower().strip(";,")] for w in s.split()], np.int32) for s in BOILERPLATE
    ]
    lengths = rng.integers(25, 90, size=n)
    lengths[boiler] = np.array([len(b) for b in boiler_ids])[boiler_kind[boiler]]
    own = np.where(boiler, 0, (lengths * 0.4).astype(np.int64))  # topic words, then general ones
    rest = np.where(boiler, 0, lengths - own)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = np.zeros(int(indptr[-1]), dtype=np.int32)
    ids[_positions(indptr[:-1], own)] = topic_pools[
        np.repeat(topic_of, own), _zipf_ranks(rng, shape.topic_words, int(own.sum()))
    ]
    ids[_positions(indptr[:-1] + own, rest)] = _zipf_ranks(rng, shape.vocabulary, int(rest.sum()))
    for kind, words in enumerate(boiler_ids):
        rows = np.flatnonzero(boiler & (boiler_kind == kind))
        ids[(indptr[rows][:, None] + np.arange(len(words))).ravel()] = np.tile(words, len(rows))
    headings = [
        " ".join(vocab[w] for w in rng.choice(topic_pools[topic_of[row]], size=3)).title()
        for row in np.flatnonzero(np.diff(np.concatenate([[-1], section])))
    ]
    titles = [
        " ".join(vocab[w] for w in topic_pools[t][:2]).title() + f" {d}" for d, t in enumerate(doc_topic)
    ]
    heading_of = (section - section[0]).astype(np.int32)
    return SyntheticCorpus(
        vocab,
        titles,
        headings,
        doc_of,
        np.where(boiler, -1, topic_of).astype(np.int32),
        heading_of,
        indptr,
        ids,
    )


def _unit(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def synthesise_vectors(
    corpus: SyntheticCorpus, out: np.ndarray, dim: int = DIMENSION, seed: int = 0, block: int = 100_000
) -> None:
    """Fill `out` (n x dim, e.g. a memory-mapped .npy) with unit vectors clustered like the
    corpus: shared direction + topic + subtopic + document + passage noise; boilerplate passages
    near one vector per boilerplate text. Written in blocks, so 1M rows never sit in memory twice."""
    rng = np.random.default_rng(seed + 1)
    topics = int(corpus.topic_of.max()) + 1
    common = _unit(rng, 1, dim)[0]
    topic_dirs = _unit(rng, topics, dim)
    subtopic_dirs = topic_dirs[:, None, :] + 0.7 * _unit(rng, topics * 8, dim).reshape(topics, 8, dim)
    boiler_dirs = _unit(rng, len(BOILERPLATE), dim)
    docs = int(corpus.doc_of.max()) + 1
    doc_sub = rng.integers(0, 8, size=docs)
    doc_topic = np.zeros(docs, dtype=np.int64)
    normal = corpus.topic_of >= 0
    doc_topic[corpus.doc_of[normal]] = corpus.topic_of[normal]
    doc_seed = rng.integers(0, 2**31, size=docs)
    for start in range(0, corpus.passages, block):
        rows = np.arange(start, min(start + block, corpus.passages))
        d = corpus.doc_of[rows]
        doc_dirs = np.stack([np.random.default_rng(s).standard_normal(dim) for s in doc_seed[np.unique(d)]])
        doc_dirs = (doc_dirs / np.linalg.norm(doc_dirs, axis=1, keepdims=True)).astype(np.float32)
        doc_part = doc_dirs[np.searchsorted(np.unique(d), d)]
        v = 0.45 * common + subtopic_dirs[doc_topic[d], doc_sub[d]] + 0.6 * doc_part
        v += 0.9 * _unit(rng, len(rows), dim)
        boiler = corpus.topic_of[rows] < 0
        kinds = rng.integers(0, len(BOILERPLATE), size=int(boiler.sum()))
        v[boiler] = 0.45 * common + boiler_dirs[kinds] + 0.05 * _unit(rng, int(boiler.sum()), dim)
        out[rows] = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def clustered_vectors(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """A small clustered matrix, for tests of the dense index."""
    corpus = generate(Shape(n, passages_per_topic=max(50, n // 40), vocabulary=2000, seed=seed))
    out = np.zeros((n, dim), dtype=np.float32)
    synthesise_vectors(corpus, out, dim=dim, seed=seed)
    return out


def write_markdown(corpus: SyntheticCorpus, folder: Path, documents: int) -> None:
    """The first `documents` documents as Markdown files: title, headed sections, paragraphs."""
    folder.mkdir(parents=True, exist_ok=True)
    rows_end = int(np.searchsorted(corpus.doc_of, documents))
    lines: dict[int, list[str]] = {}
    last_heading: dict[int, int] = {}
    for row in range(rows_end):
        doc = int(corpus.doc_of[row])
        out = lines.setdefault(doc, [f"# {corpus.titles[doc]}", ""])
        if last_heading.get(doc) != corpus.heading_of[row]:
            last_heading[doc] = int(corpus.heading_of[row])
            out += [f"## {corpus.headings[corpus.heading_of[row]]}", ""]
        text = corpus.text(row)
        out += [text[:1].upper() + text[1:] + ".", ""]
    for doc, doc_lines in lines.items():
        (folder / f"doc-{doc:07d}.md").write_text("\n".join(doc_lines), encoding="utf-8")
