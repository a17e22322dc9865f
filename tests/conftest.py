"""Session fixtures: the real bundled model and a real FAISS index of the bundled corpus, built
once; an app client on top of them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the fixtures import the heavy modules when first used, not at collection
    from fastapi.testclient import TestClient

    from indexer.embedding import Embedder, SentenceTransformerEmbedder
    from service.qa.pipeline import QAPipeline
    from service.reranker import Reranker

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    from indexer.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    from indexer.build import build_index

    out = tmp_path_factory.mktemp("kbqa") / "index"
    build_index(CORPUS, out, embedder)
    return out


@pytest.fixture(scope="session")
def reader() -> Reranker:
    """The shipped answer reranker (KBQA_RERANKER=bundled)."""
    from service.reranker import Reranker

    return Reranker()


@pytest.fixture(scope="session")
def load_kb(embedder: Embedder) -> Callable[[Path], QAPipeline]:
    """Loads an index into the pipeline the service runs by default."""
    from service.api.app import default_reader, load_pipeline
    from service.config import Settings

    return lambda index: load_pipeline(Settings(index_dir=index), embedder, reader=default_reader(Settings()))


@pytest.fixture(scope="session")
def kb(index_dir: Path, load_kb: Callable[[Path], QAPipeline]) -> QAPipeline:
    return load_kb(index_dir)


@pytest.fixture(scope="session")
def client(index_dir: Path, embedder: Embedder) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.config import Settings

    app = create_app(Settings(index_dir=index_dir), embedder_factory=lambda _: embedder)
    with TestClient(app) as test_client:
        yield test_client
