"""Any sentence-transformers cross-encoder as the answer reranker, for deployments that have a
model hub (or a folder of such a model): a larger or domain-tuned reranker than the bundled one.

The bundled reranker (`service.reranker.Reranker`) stays the default, as no registry package ships
a cross-encoder's weights and kbqa downloads nothing at run time. Another model's logits are on its
own scale, so the answer model that weighs them (depth, weights, abstention threshold) must be
fitted for it: `make fit RERANKER=<name>`; `load_pipeline` refuses an answer model fitted for
another reranker rather than abstain on a miscalibrated threshold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding import sha256_file
from indexer.errors import ModelError

# Weight files a local model folder may hold; their bytes identify the model.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def model_identity(name_or_path: str) -> str:
    """What an answer model records as the reranker it was fitted for: the sha256 of a local
    folder's weights (the same model wherever it lies), else the hub name."""
    folder = Path(name_or_path)
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return f"sha256:{sha256_file(folder / name)}"
    return f"hub:{name_or_path}"


def is_reranker_folder(folder: Path) -> bool:
    """Whether a folder holds a reranker of this project's format (service.reranker), whose
    config.json names the base weights it was trained on, rather than any cross-encoder."""
    try:
        return "base_weights_sha256" in json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


class CrossEncoderReader:
    """A `Reader` over `sentence_transformers.CrossEncoder`: one raw logit per pair (a model with
    one output, as rerankers have; an NLI model's three labels are refused)."""

    def __init__(
        self, name_or_path: str, *, max_length: int = 256, batch_size: int = 16, threads: int | None = None
    ) -> None:
        import torch
        from sentence_transformers import CrossEncoder

        if threads:
            torch.set_num_threads(threads)
        try:
            self.model: Any = CrossEncoder(name_or_path, device="cpu", max_length=max_length)
        except (OSError, ValueError) as exc:  # not found locally, no hub, not a model
            raise ModelError(f"cannot load the cross-encoder {name_or_path!r}: {exc}") from exc
        if self.model.num_labels != 1:
            raise ModelError(
                f"{name_or_path!r} has {self.model.num_labels} outputs;"
                " a reranker has one (a relevance logit)"
            )
        self.batch_size = batch_size
        self.identity = model_identity(name_or_path)

    def logits(self, question: str, candidates: Sequence[str]) -> np.ndarray:
        """Raw logits (no sigmoid), float32, in the order of `candidates`."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        import torch

        scores = self.model.predict(
            [(question, c) for c in candidates],
            batch_size=self.batch_size,
            activation_fn=torch.nn.Identity(),
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(scores, dtype=np.float32).reshape(len(candidates))
