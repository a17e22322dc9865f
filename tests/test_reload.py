"""Hot reload: a rebuilt index serves from the next request on, a bad one is refused while the
old one keeps serving, and only the admin key may ask."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from indexer.build import build_index
from indexer.embedding import Embedder
from service.api.app import create_app
from service.config import Settings
from tests.conftest import CORPUS

KEY = "test-admin-key-0123456789"
ADMIN = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture()
def live(tmp_path: Path, index_dir: Path, embedder: Embedder) -> Iterator[tuple[TestClient, Path]]:
    """A service on its own copy of the corpus and index, which the test may rebuild."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    shutil.copytree(index_dir, index, symlinks=True)  # the session's index of the same corpus
    settings = Settings(index_dir=index, admin_key=SecretStr(KEY))
    with TestClient(create_app(settings, embedder_factory=lambda _: embedder)) as client:
        yield client, corpus


def test_a_rebuilt_index_serves_after_reload_and_deleted_documents_are_gone(
    live: tuple[TestClient, Path], embedder: Embedder
) -> None:
    client, corpus = live
    assert client.get("/documents/cro-vs-coo").status_code == 200
    (corpus / "cro-vs-coo.txt").unlink()
    # The copied index names the bundled corpus folder as its source; this copy replaces it.
    build_index(corpus, client.app.state.kbqa.settings.index_dir, embedder, replace=True)  # type: ignore[attr-defined]  # typed state
    # Until the reload the old index serves, whole.
    assert client.get("/documents/cro-vs-coo").status_code == 200
    reloaded = client.post("/admin/reload", headers=ADMIN)
    assert reloaded.status_code == 200 and reloaded.json()["manifest"]["counts"]["documents"] == 3
    assert client.get("/documents/cro-vs-coo").status_code == 404
    body = client.post("/ask", json={"question": "who outranks the COO?", "top_k": 10}).json()
    assert all(c["doc_id"] != "cro-vs-coo" for c in body["citations"])
    assert client.get("/readyz").json()["manifest"]["counts"]["documents"] == 3


def test_a_bad_index_is_refused_and_the_old_one_keeps_serving(live: tuple[TestClient, Path]) -> None:
    client, _ = live
    index: Path = client.app.state.kbqa.settings.index_dir  # type: ignore[attr-defined]  # typed state
    for manifest in index.rglob("manifest.json"):
        manifest.write_text("{broken", encoding="utf-8")
    refused = client.post("/admin/reload", headers=ADMIN)
    assert refused.status_code == 409 and "old index keeps serving" in refused.json()["detail"]
    assert client.post("/ask", json={"question": "who outranks the COO?"}).json()["answer"]
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong-key-wrong-key-1"}, 401), ({"Authorization": KEY}, 401)],
)
def test_reload_needs_the_admin_key(
    live: tuple[TestClient, Path], headers: dict[str, str], status: int
) -> None:
    client, _ = live
    response = client.post("/admin/reload", headers=headers)
    assert response.status_code == status and response.headers["www-authenticate"] == "Bearer"


def test_admin_routes_are_off_without_a_key(client: TestClient) -> None:
    response = client.post("/admin/reload", headers=ADMIN)
    assert response.status_code == 403 and "KBQA_ADMIN_KEY" in response.json()["detail"]


def test_a_short_admin_key_or_an_unreadable_key_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Settings(admin_key=SecretStr("short"))
    with pytest.raises(ValueError, match="admin_key_file"):
        Settings(admin_key_file=tmp_path / "missing")
    (tmp_path / "key").write_text(KEY + "\n")
    assert Settings(admin_key_file=tmp_path / "key").admin_key.get_secret_value() == KEY  # type: ignore[union-attr]  # set from the file
