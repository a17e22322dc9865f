"""Per-document access: a caller never receives a document its groups may not read, by any
route, whoever it is (no key, a scoped key, a proxy's groups header). Hashing embedder: which
passages are *allowed* is the point here, not how well they are ranked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from indexer.build import build_index
from service.api.app import create_app
from service.config import Settings
from tests.fakes import HashingEmbedder

DOCS = {
    "kitchen.txt": (
        "Kitchen\n\nCleaning\nThe kitchen is cleaned every evening. Salary day cake is on Fridays.\n",
        None,
    ),
    "salaries.txt": ("Salaries\n\nBands\nSalary bands are reviewed every April by the HR team.\n", ["hr"]),
    "board.txt": (
        "Board Minutes\n\nSalaries\nThe board approved the salary bands for executives.\n",
        ["board"],
    ),
}
HR_KEY, ALL_KEY = "hr-key-0123456789abcdef", "ops-key-0123456789abcdef"
QUESTIONS = ["salary bands", "who approved the salary bands", "kitchen cleaning"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("restricted")
    catalog = {}
    for name, (text, groups) in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
        catalog[name] = {"title": text.split("\n")[0], **({"groups": groups} if groups else {})}
    (corpus / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    out = corpus.parent / "restricted-index"
    build_index(corpus, out, HashingEmbedder())
    return out


def _client(index: Path, **settings: object) -> Iterator[TestClient]:
    app = create_app(Settings(index_dir=index, **settings), embedder_factory=lambda _: HashingEmbedder())  # type: ignore[arg-type]  # test settings
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(index: Path) -> Iterator[TestClient]:
    yield from _client(index)


@pytest.fixture(scope="module")
def keyed(index: Path) -> Iterator[TestClient]:
    keys = {SecretStr(HR_KEY): ["hr"], SecretStr(ALL_KEY): ["*"]}
    yield from _client(index, search_keys=keys)


@pytest.fixture(scope="module")
def proxied(index: Path) -> Iterator[TestClient]:
    yield from _client(index, trust_groups_header=True)


def _seen(client: TestClient, headers: dict[str, str]) -> set[str]:
    """Every document id the caller receives through any route, for every question."""
    seen: set[str] = set()
    for q in QUESTIONS:
        ask = client.post("/ask", json={"question": q, "top_k": 20}, headers=headers)
        assert ask.status_code == 200, ask.text
        seen |= {c["doc_id"] for c in ask.json()["citations"]}
        search = client.get("/search", params={"q": q, "k": 20}, headers=headers)
        assert search.status_code == 200
        seen |= {r["doc_id"] for r in search.json()["results"]}
    for doc_id in ("kitchen", "salaries", "board"):
        document = client.get(f"/documents/{doc_id}", headers=headers)
        view = client.get(f"/documents/{doc_id}/view", headers=headers)
        assert document.status_code == view.status_code and document.status_code in (200, 404)
        if document.status_code == 200:
            seen.add(doc_id)
    return seen


@pytest.mark.parametrize(
    ("caller", "headers", "readable"),
    [
        ("anonymous", {}, {"kitchen"}),
        ("anonymous", {"X-KBQA-Groups": "hr,board"}, {"kitchen"}),  # the header is not trusted here
        ("keyed", {"Authorization": f"Bearer {HR_KEY}"}, {"kitchen", "salaries"}),
        ("keyed", {"Authorization": f"Bearer {ALL_KEY}"}, {"kitchen", "salaries", "board"}),
        ("proxied", {}, {"kitchen"}),
        ("proxied", {"X-KBQA-Groups": "board"}, {"kitchen", "board"}),
        ("proxied", {"X-KBQA-Groups": " hr , board "}, {"kitchen", "salaries", "board"}),
    ],
)
def test_a_caller_receives_exactly_the_documents_its_groups_may_read(
    request: pytest.FixtureRequest, caller: str, headers: dict[str, str], readable: set[str]
) -> None:
    client: TestClient = request.getfixturevalue(caller)
    assert _seen(client, headers) == readable


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key-0123456789abcdef", HR_KEY])
def test_with_search_keys_every_read_route_needs_one(keyed: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    responses = [
        keyed.post("/ask", json={"question": "salary bands"}, headers=headers),
        keyed.get("/search", params={"q": "salary"}, headers=headers),
        keyed.get("/documents/kitchen", headers=headers),
        keyed.get("/documents/kitchen/view", headers=headers),
    ]
    assert [r.status_code for r in responses] == [401] * 4
    assert all(r.headers["www-authenticate"] == "Bearer" for r in responses)


def test_readiness_does_not_count_restricted_documents(anonymous: TestClient) -> None:
    manifest = anonymous.get("/readyz").json()["manifest"]
    assert "counts" not in manifest and "corpus" not in manifest and manifest["model"]["id"] == "test/hashing"
