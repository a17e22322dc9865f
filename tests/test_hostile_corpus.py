"""Hostile corpus files are indexed safely or skipped with a reason: markup stays text, a 1 MB
single line is indexed, binary and empty files are skipped and reported."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from fastapi.testclient import TestClient

from indexer.build import build_index
from service.api.app import create_app
from service.config import Settings
from tests.fakes import HashingEmbedder

SCRIPT = (
    "<script>alert(1)</script>\n\nOffice Hours\n\n"
    "The <b>office</b> opens at nine. <img src=x onerror=alert(2)>\n"
)


def test_hostile_files_are_indexed_as_text_or_skipped_with_a_reason(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "markup.txt").write_text(SCRIPT, encoding="utf-8")
    rng = random.Random(0)
    words = ["office", "policy", "staff", "meeting", "leave", "budget"]
    line = " ".join(rng.choice(words) + ("." if rng.random() < 0.05 else "") for _ in range(160_000))
    (corpus / "one-line.txt").write_text(line[:1_000_000], encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 40 + os.urandom(1000))
    (corpus / "empty.md").write_text(" \n\n", encoding="utf-8")
    out = tmp_path / "index"
    manifest = build_index(corpus, out, HashingEmbedder())
    assert manifest["counts"]["documents"] == 2
    reasons = {s["path"]: s["reason"] for s in manifest["skipped"]}
    assert reasons.keys() == {"binary.txt", "empty.md"}
    assert "binary" in reasons["binary.txt"] and reasons["empty.md"] == "empty"
    app = create_app(Settings(index_dir=out), embedder_factory=lambda _: HashingEmbedder())
    with TestClient(app) as client:
        doc = client.get("/documents/markup").json()
        assert doc["text"].startswith("<script>")  # verbatim, served as JSON text
        view = client.get("/documents/markup/view").text
        assert "<script>alert(1)" not in view and "&lt;script&gt;alert(1)" in view
        body = client.post("/ask", json={"question": "when does the office open"}).json()
        assert json.dumps(body)  # a well-formed answer or refusal, never an error
        assert client.get("/search", params={"q": "budget meeting"}).json()["results"]
