"""The fast query path: the ONNX query encoder agrees with the PyTorch one the index was built
with, is refused when its graph is not the one that was verified, falls back to PyTorch under
"auto"; the LRU cache of query vectors; threads shared out among server workers."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import CachedEmbedder, Embedder, ModelSignature
from indexer.errors import ModelError
from service.config import Settings
from tests.fakes import HashingEmbedder

# Not the export's probe texts: agreement must hold beyond what the export checked.
QUESTIONS = [
    "what is the COO responsible for",
    "should a startup hire a CSO or a CRO?",
    "who reports to the chief executive",
    "cheif revenue oficer duties",
    "performance metrics",
]


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, recording each batch it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.batches.append(list(texts))
        return super().embed(texts)


def test_cache_returns_the_inner_vectors_and_embeds_each_text_once() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, size=10)
    first = cached.embed(["a b", "c d", "a b"])
    again = cached.embed(["c d", "e f"])
    np.testing.assert_array_equal(first, HashingEmbedder().embed(["a b", "c d", "a b"]))
    np.testing.assert_array_equal(again, HashingEmbedder().embed(["c d", "e f"]))
    assert inner.batches == [["a b", "c d"], ["e f"]]  # a repeat, in a batch or later, is not embedded
    assert (cached.hits, cached.misses) == (2, 3)
    assert ModelSignature.of(cached) == ModelSignature.of(inner)


def test_cache_evicts_the_least_recently_used_text() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, size=2)
    cached.embed(["one"])
    cached.embed(["two"])
    cached.embed(["one"])  # "two" is now the least recently used
    cached.embed(["three"])
    cached.embed(["one", "two"])
    assert inner.batches == [["one"], ["two"], ["three"], ["two"]]


def test_cached_vectors_cannot_be_changed_by_a_caller() -> None:
    cached = CachedEmbedder(HashingEmbedder(), size=4)
    vector = cached.embed(["x y"])
    vector[:] = 0.0
    assert np.linalg.norm(cached.embed(["x y"])[0]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("workers", "threads", "expected"), [(1, None, 2), (2, None, 1), (4, None, 1), (2, 3, 3)]
)
def test_threads_are_shared_out_among_workers(
    workers: int, threads: int | None, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _: {0, 1})
    assert Settings(workers=workers, threads=threads).intra_op_threads == expected


@pytest.fixture(scope="module")
def verified() -> dict[str, object]:
    from indexer.onnx_embedding import ensure_encoder

    return ensure_encoder()  # the machine's cache: exported once


@pytest.mark.parametrize("variant", ["onnx-fp32", "onnx-int8"])
def test_onnx_query_vectors_agree_with_pytorch(
    variant: str, verified: dict[str, object], embedder: Embedder
) -> None:
    from indexer.onnx_embedding import MIN_COSINE, OnnxEmbedder

    onnx = OnnxEmbedder(variant)  # type: ignore[arg-type]
    assert ModelSignature.of(onnx) == ModelSignature.of(embedder)  # the index accepts it
    cosines = np.sum(onnx.embed(QUESTIONS) * embedder.embed(QUESTIONS), axis=1)
    assert cosines.min() >= MIN_COSINE
    assert np.allclose(np.linalg.norm(onnx.embed(QUESTIONS), axis=1), 1.0, atol=1e-5)
    assert onnx.embed([]).shape == (0, embedder.dimension)


def test_the_fp32_graph_is_fused_and_agrees_with_pytorch_exactly_enough(
    verified: dict[str, object], embedder: Embedder
) -> None:
    """One Attention op per layer (and the other fusions) in the served graph; the fusions regroup
    sums, so vectors move by ~1e-7, far below anything a ranking can see."""
    from indexer.onnx_embedding import OnnxEmbedder

    assert verified["fp32_fused_ops"] == {
        "Attention": 6, "BiasGelu": 6, "EmbedLayerNormalization": 1, "SkipLayerNormalization": 12,
    }  # fmt: skip
    onnx = OnnxEmbedder("onnx-fp32").embed(QUESTIONS)
    assert np.abs(onnx - embedder.embed(QUESTIONS)).max() < 1e-5


def test_onnx_search_ranks_passages_as_pytorch_does(
    verified: dict[str, object], index_dir: Path, kb: object
) -> None:
    from indexer.onnx_embedding import OnnxEmbedder
    from service.qa.pipeline import QAPipeline

    onnx_kb = QAPipeline.load(index_dir, OnnxEmbedder("onnx-int8"))
    for question in QUESTIONS:
        reference = [(p.doc_id, p.start) for p in kb.search(question, 3)]  # type: ignore[attr-defined]
        assert [(p.doc_id, p.start) for p in onnx_kb.search(question, 3)][:1] == reference[:1]


def _copy_cache(tmp_path: Path) -> Path:
    from indexer.onnx_embedding import encoder_cache

    source = encoder_cache()
    target = encoder_cache(tmp_path)
    shutil.copytree(source, target)
    return target


def test_a_graph_that_is_not_the_verified_one_is_refused_and_auto_falls_back(
    verified: dict[str, object], tmp_path: Path
) -> None:
    from indexer.onnx_embedding import AUTO_ORDER, OnnxEmbedder, load_embedder

    folder = _copy_cache(tmp_path)
    for name in ("model.onnx", "model.int8.onnx"):
        with (folder / name).open("ab") as handle:
            handle.write(b"\0")
    for variant in AUTO_ORDER:
        with pytest.raises(ModelError, match="sha256"):
            OnnxEmbedder(variant, cache_dir=tmp_path)
    assert getattr(load_embedder(backend="auto", cache_dir=tmp_path), "backend", None) == "torch"


def test_a_graph_that_disagreed_with_pytorch_is_not_used(verified: dict[str, object], tmp_path: Path) -> None:
    from indexer.onnx_embedding import OnnxEmbedder, load_embedder

    folder = _copy_cache(tmp_path)
    record = json.loads((folder / "verify.json").read_text())
    for variant in record["variants"].values():
        variant["min_cosine"] = 0.5
    (folder / "verify.json").write_text(json.dumps(record))
    with pytest.raises(ModelError, match="disagrees"):
        OnnxEmbedder("onnx-fp32", cache_dir=tmp_path)
    assert getattr(load_embedder(backend="auto", cache_dir=tmp_path), "backend", None) == "torch"


def test_the_index_manifest_records_the_verified_query_encoder(
    verified: dict[str, object], tmp_path: Path
) -> None:
    from indexer.build import build_index
    from indexer.store import read_manifest
    from tests.conftest import CORPUS

    build_index(CORPUS, tmp_path / "index", HashingEmbedder(), query_encoder=verified)
    recorded = read_manifest(tmp_path / "index")["query_encoder"]
    for variant in ("onnx-fp32", "onnx-int8"):
        assert len(recorded["variants"][variant]["sha256"]) == 64
        assert recorded["variants"][variant]["min_cosine"] >= 0.99
