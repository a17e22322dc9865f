"""A deterministic embedder for tests where the model is beside the point (index format,
manifest checks): bag-of-hashed-words vectors, so similar wording gives similar vectors."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from indexer.text import tokens


class HashingEmbedder:
    def __init__(self, dimension: int = 64, model_id: str = "test/hashing") -> None:
        self._dim = dimension
        self._id = model_id

    @property
    def model_id(self) -> str:
        return self._id

    @property
    def dimension(self) -> int:
        return self._dim

    @property
    def weights_sha256(self) -> str | None:
        return None

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in tokens(text):
                out[i, int(hashlib.md5(token.encode()).hexdigest(), 16) % self._dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out
