"""What the service exposes: security headers on every response, API docs served without a
CDN, a demo page that trusts no Host header, and no server paths in what clients read."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from indexer.embedding import Embedder
from service.api.app import create_app
from service.config import Settings


def test_every_response_says_nosniff_and_who_may_frame_it(client: TestClient) -> None:
    for url in (
        "/healthz",
        "/search?q=revenue",
        "/documents/cro-vs-coo",
        "/widget.js",
        "/",
        "/docs",
        "/nope",
    ):
        response = client.get(url)
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"], url


def test_the_demo_page_runs_only_its_own_nonced_script_and_ignores_the_host_header(
    client: TestClient,
) -> None:
    page = client.get("/", headers={"Host": "evil.example"})
    assert "evil.example" not in page.text
    assert '<script src="/widget.js" defer>' in page.text
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert page.text.count(f'<script nonce="{nonce.group(1)}">') == 1


def test_api_docs_load_their_assets_from_the_service(client: TestClient) -> None:
    docs = client.get("/docs").text
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", docs)
    assert assets and all(a.startswith("/") for a in assets), assets
    assert all(client.get(a).status_code == 200 for a in assets)
    assert "cdn" not in docs.lower()
    redoc = client.get("/redoc").text
    assert "cdn" not in redoc.lower()


def test_readiness_names_no_server_path(tmp_path: Path, embedder: Embedder) -> None:
    missing = tmp_path / "deep" / "index"
    with TestClient(create_app(Settings(index_dir=missing), embedder_factory=lambda _: embedder)) as c:
        detail = c.get("/readyz").json()["detail"]
        assert "no index" in detail and str(tmp_path) not in detail and ".../index" in detail
        assert str(tmp_path) not in c.post("/ask", json={"question": "who outranks the COO?"}).text


def test_with_allowed_hosts_other_host_names_are_refused(index_dir: Path, embedder: Embedder) -> None:
    settings = Settings(index_dir=index_dir, allowed_hosts=["kb.intranet.example", "testserver"])
    with TestClient(create_app(settings, embedder_factory=lambda _: embedder)) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
