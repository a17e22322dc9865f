"""Hybrid passage ranking: dense similarity of the question to each passage and to its context
(title, heading path, FAQ question), fused with max-normalised BM25. Pure functions over arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 0.4
    context: float = 0.1
    lexical: float = 0.4
    span: float = 0.6  # best single answer span of the passage: sharp where passages are diffuse


@dataclass(frozen=True)
class PassageScores:
    """Per-candidate-passage signals, row-aligned with `rows` (indices into the chunk list)."""

    rows: np.ndarray
    dense: np.ndarray
    context: np.ndarray
    lexical: np.ndarray
    fused: np.ndarray


def normalise_bm25(scores: np.ndarray) -> np.ndarray:
    """BM25 scores divided by the best one, so they sit in [0, 1] next to cosine similarities."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def fuse(
    rows: np.ndarray,
    dense: np.ndarray,
    context: np.ndarray,
    bm25_all: np.ndarray,
    span: np.ndarray,
    weights: FusionWeights,
) -> PassageScores:
    lexical = normalise_bm25(bm25_all)[rows]
    fused = (
        weights.dense * dense + weights.context * context + weights.lexical * lexical + weights.span * span
    )
    order = np.argsort(-fused, kind="stable")
    return PassageScores(rows[order], dense[order], context[order], lexical[order], fused[order])


def candidate_rows(dense_rows: np.ndarray, bm25_all: np.ndarray, depth: int) -> np.ndarray:
    """Union of the dense top-`depth` (from FAISS) and the BM25 top-`depth`."""
    lexical_rows = (
        np.argsort(-bm25_all, kind="stable")[:depth] if bm25_all.size else np.array([], dtype=np.int64)
    )
    lexical_rows = lexical_rows[bm25_all[lexical_rows] > 0]
    return np.unique(np.concatenate([dense_rows.astype(np.int64), lexical_rows.astype(np.int64)]))
