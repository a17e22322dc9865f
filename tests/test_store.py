"""Index format and manifest validation, with a fake embedder (the model is beside the point)."""

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.build import build_index
from indexer.chunking import ChunkingParams
from indexer.errors import IndexLoadError, IndexMismatch
from indexer.store import FORMAT_VERSION, read_index, read_manifest
from indexer.versions import live_folder
from service.qa.pipeline import QAPipeline
from tests.fakes import HashingEmbedder

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    out = tmp_path / "index"
    build_index(CORPUS, out, HashingEmbedder())
    return out


def live(out: Path) -> Path:
    """The folder of the version the index's pointer names."""
    return live_folder(out)[1]


def test_manifest_describes_the_build(built: Path) -> None:
    manifest = json.loads((live(built) / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {"id": "test/hashing", "weights_sha256": None, "dimension": 64}
    assert manifest["counts"]["documents"] == 4
    assert manifest["chunking"]["max_words"] > 0
    assert len(manifest["corpus"]["sha256"]) == 64
    data = read_index(built)
    assert data.passage_vectors.shape == (manifest["counts"]["chunks"], 64)
    assert data.candidate_vectors.shape[0] == manifest["counts"]["candidates"]


def test_rebuild_replaces_atomically_and_leaves_no_temp(built: Path) -> None:
    first = read_manifest(built)["version"]
    second = build_index(CORPUS, built, HashingEmbedder())["version"]
    third = build_index(CORPUS, built, HashingEmbedder())["version"]
    assert first < second < third
    data = read_index(built)
    assert data.manifest["counts"]["documents"] == 4 and data.manifest["version"] == third
    assert sorted(p.name for p in built.parent.iterdir()) == ["index"]
    # Only the pointer, the build lock and the live version with the one before it remain.
    assert sorted(p.name for p in built.iterdir()) == [".lock", "current", "versions"]
    assert sorted(p.name for p in (built / "versions").iterdir()) == [second, third]


def test_the_index_is_readable_by_others(built: Path) -> None:
    for path in [built, *built.rglob("*")]:
        if path.is_symlink():
            continue
        assert path.stat().st_mode & 0o777 == (0o755 if path.is_dir() else 0o644), path


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match="no index"):
        read_index(tmp_path / "nowhere")


def test_corrupt_file_is_detected(built: Path) -> None:
    (live(built) / "chunks.json").write_text("[]")
    with pytest.raises(IndexLoadError, match="corrupt"):
        read_index(built)


@pytest.mark.parametrize("name", ["passages.npy", "bm25/params.index.json", "analysis.json"])
def test_a_changed_or_missing_file_is_detected(built: Path, name: str) -> None:
    path = live(built) / name
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexLoadError, match="corrupt"):
        read_index(built)
    path.unlink()
    with pytest.raises(IndexLoadError, match="missing"):
        read_index(built)


def test_a_manifest_without_a_model_is_refused_not_a_crash(built: Path) -> None:
    manifest = json.loads((live(built) / "manifest.json").read_text())
    del manifest["model"]
    (live(built) / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match="which model"):
        read_index(built)


def test_vectors_are_memory_mapped_read_only(built: Path) -> None:
    data = read_index(built)
    assert isinstance(data.passage_vectors, np.memmap)
    assert not data.passage_vectors.flags.writeable


def test_other_format_version_is_refused(built: Path) -> None:
    manifest = json.loads((live(built) / "manifest.json").read_text())
    manifest["format_version"] = 999
    (live(built) / "manifest.json").write_text(json.dumps(manifest))
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


def _tamper(out: Path, name: str, content: object) -> None:
    """Replace one file of the live version and record its new hash, so only its shape is wrong."""
    folder = live(out)
    payload = json.dumps(content).encode()
    (folder / name).write_bytes(payload)
    manifest = json.loads((folder / "manifest.json").read_text())
    if name != "manifest.json":
        manifest["files"][name] = hashlib.sha256(payload).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest))


def _manifest(out: Path) -> dict[str, Any]:
    return dict(json.loads((live(out) / "manifest.json").read_text()))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("manifest.json", [1, 2], "format version"),
        ("documents.json", {"doc_id": 1}, "malformed"),
        ("documents.json", [[1, 2]], "malformed"),
        (
            "documents.json",
            [{"doc_id": "a", "path": "a", "title": "a", "text": 5, "sha256": ""}],
            "malformed",
        ),
        ("chunks.json", [{"chunk_id": "x"}], "malformed"),
        ("chunks.json", [], "inconsistent|holds"),
        ("candidates.json", {"chunk_id": [0]}, "malformed"),
        ("candidates.json", [1], "malformed"),
        ("text_hashes.json", {"a": 1}, "hashes for"),
        ("analysis.json", {"vocabulary": [1]}, "malformed"),
        ("passages.npy", "not numpy", "not a readable"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_with_a_reason(
    built: Path, name: str, content: object, reason: str
) -> None:
    _tamper(built, name, content)
    with pytest.raises(IndexLoadError, match=reason):
        read_index(built)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(files=["documents.json"]),
        lambda m: m["files"].update({"../../outside.json": "0"}),
        lambda m: m["files"].update({"/etc/hostname": "0"}),
        lambda m: m.update(model={"id": "x", "dimension": "wide"}),
        lambda m: m.pop("files"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_refused(
    built: Path, change: Callable[[dict[str, Any]], object]
) -> None:
    manifest = _manifest(built)
    change(manifest)
    _tamper(built, "manifest.json", manifest)
    with pytest.raises(IndexLoadError):
        read_index(built)


def test_a_candidate_that_points_nowhere_is_refused(built: Path) -> None:
    cols = json.loads((live(built) / "candidates.json").read_text())
    cols["chunk_id"][0] = 10_000
    _tamper(built, "candidates.json", cols)
    with pytest.raises(IndexLoadError, match="inconsistent"):
        read_index(built)


def test_a_pointer_to_a_missing_or_foreign_folder_is_refused(built: Path) -> None:
    shutil.rmtree(live(built))
    with pytest.raises(IndexLoadError, match="missing"):
        read_manifest(built)
    for target in ("../elsewhere", "/tmp", "versions/../../x"):
        (built / "current").unlink()
        os.symlink(target, built / "current")
        with pytest.raises(IndexLoadError, match="points to"):
            read_index(built)
    (built / "current").unlink()
    (built / "current").mkdir()
    with pytest.raises(IndexLoadError, match="not a pointer"):
        read_index(built)


def test_an_index_of_another_corpus_is_not_replaced_unless_asked(built: Path, tmp_path: Path) -> None:
    from indexer.errors import CorpusError

    other = tmp_path / "other"
    other.mkdir()
    (other / "faq.txt").write_text("Parking\n\nThere are twenty spaces behind the office.\n")
    live = read_index(built).manifest["version"]
    with pytest.raises(CorpusError, match="was built from .*--replace"):
        build_index(other, built, HashingEmbedder())
    assert read_index(built).manifest["version"] == live  # untouched
    manifest = build_index(other, built, HashingEmbedder(), replace=True)
    assert manifest["counts"]["documents"] == 1
