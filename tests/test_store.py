"""Index format and manifest validation, with a fake embedder (the model is beside the point)."""

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.build import build_index
from indexer.chunking import ChunkingParams
from indexer.errors import IndexLoadError, IndexMismatch
from indexer.store import FORMAT_VERSION, read_index
from service.qa.pipeline import QAPipeline
from tests.fakes import HashingEmbedder

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    out = tmp_path / "index"
    build_index(CORPUS, out, HashingEmbedder())
    return out


def test_manifest_describes_the_build(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {"id": "test/hashing", "weights_sha256": None, "dimension": 64}
    assert manifest["counts"]["documents"] == 4
    assert manifest["chunking"]["max_words"] > 0
    assert len(manifest["corpus"]["sha256"]) == 64
    data = read_index(built)
    assert data.passage_vectors.shape == (manifest["counts"]["chunks"], 64)
    assert data.candidate_vectors.shape[0] == manifest["counts"]["candidates"]


def test_rebuild_replaces_atomically_and_leaves_no_temp(built: Path) -> None:
    build_index(CORPUS, built, HashingEmbedder())
    assert read_index(built).manifest["counts"]["documents"] == 4
    assert sorted(p.name for p in built.parent.iterdir()) == ["index"]


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match="no index"):
        read_index(tmp_path / "nowhere")


def test_corrupt_file_is_detected(built: Path) -> None:
    (built / "chunks.json").write_text("[]")
    with pytest.raises(IndexLoadError, match="corrupt"):
        read_index(built)


@pytest.mark.parametrize("name", ["passages.npy", "bm25/params.index.json", "analysis.json"])
def test_a_changed_or_missing_file_is_detected(built: Path, name: str) -> None:
    path = built / name
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexLoadError, match="corrupt"):
        read_index(built)
    path.unlink()
    with pytest.raises(IndexLoadError, match="missing"):
        read_index(built)


def test_a_manifest_without_a_model_is_refused_not_a_crash(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    del manifest["model"]
    (built / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="which model"):
        read_index(built)


def test_vectors_are_memory_mapped_read_only(built: Path) -> None:
    data = read_index(built)
    assert isinstance(data.passage_vectors, np.memmap)
    assert not data.passage_vectors.flags.writeable


def test_other_format_version_is_refused(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    manifest["format_version"] = 999
    (built / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="format version"):
        read_index(built)


def test_other_model_or_dimension_is_refused(built: Path) -> None:
    with pytest.raises(IndexMismatch, match="dimension"):
        QAPipeline.load(built, HashingEmbedder(dimension=32))
    with pytest.raises(IndexMismatch, match="model"):
        QAPipeline.load(built, HashingEmbedder(model_id="test/other"))


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        return super().embed(texts, progress=progress)


def test_reindexing_embeds_only_what_changed(tmp_path: Path) -> None:
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    out = tmp_path / "index"
    first = CountingEmbedder()
    manifest = build_index(corpus, out, first)
    total = manifest["counts"]["embedded"]
    assert manifest["counts"]["reused"] == 0 and total > 0

    again = CountingEmbedder()
    manifest = build_index(corpus, out, again)
    assert manifest["counts"]["embedded"] == 0 and again.calls == [0]

    path = corpus / "cro-failed-experiment.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new closing sentence about revenue teams.\n")
    changed = CountingEmbedder()
    manifest = build_index(corpus, out, changed)
    assert 0 < manifest["counts"]["embedded"] < total / 4
    # Reused vectors are the same as freshly computed ones.
    fresh = read_index(out)
    again_dir = tmp_path / "fresh"
    build_index(corpus, again_dir, HashingEmbedder())
    assert (fresh.candidate_vectors == read_index(again_dir).candidate_vectors).all()


def test_texts_embedded_by_other_rules_are_embedded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reuse goes by the text each stored vector was embedded from, so a change of what is
    embedded for a span re-embeds exactly the spans, with no version number to remember."""
    import indexer.build

    out = tmp_path / "index"
    build_index(CORPUS, out, HashingEmbedder())
    rule = indexer.build.candidate_text
    monkeypatch.setattr(indexer.build, "candidate_text", lambda *args: "new rule: " + rule(*args))
    prepared = indexer.build.prepare(CORPUS, ChunkingParams())
    texts = indexer.build.embedding_texts(prepared, indexer.build.clause_spans(prepared))
    changed = {t for t in texts if t.startswith("new rule: ")}

    again = CountingEmbedder()
    manifest = build_index(CORPUS, out, again)
    assert again.calls == [len(changed)] and manifest["counts"]["embedded"] == len(changed)
    fresh = tmp_path / "fresh"
    build_index(CORPUS, fresh, HashingEmbedder())
    assert (read_index(out).candidate_vectors == read_index(fresh).candidate_vectors).all()
    assert (read_index(out).passage_vectors == read_index(fresh).passage_vectors).all()


def test_other_model_reuses_nothing(built: Path) -> None:
    manifest = build_index(CORPUS, built, HashingEmbedder(model_id="test/other"))
    assert manifest["counts"]["reused"] == 0


def test_a_corpus_with_no_text_is_refused(tmp_path: Path) -> None:
    from indexer.errors import CorpusError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_text("\n\nShare on LinkedIn\n0\n")
    with pytest.raises(CorpusError, match="no indexable text"):
        build_index(corpus, tmp_path / "index", HashingEmbedder())
    assert not (tmp_path / "index").exists()
