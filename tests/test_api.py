"""The HTTP API against the real bundled model and a real FAISS index of the bundled corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.dataset import DEFAULT_DATASET, load_dataset
from indexer.embedding import Embedder
from service.qa.pipeline import QAPipeline
from tests.conftest import CORPUS


def test_who_outranks_the_coo(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "who outranks the COO?"}).json()
    assert body["answer"] is not None and "Chief Executive Officer ranks above the COO" in body["answer"]
    first = body["citations"][0]
    assert first["doc_id"] == "cro-vs-coo"
    assert "Frequently Asked Questions" in first["section"]
    text = client.get(f"/documents/{first['doc_id']}").json()["text"]
    assert text[first["start"] : first["end"]] == first["excerpt"]
    s, e = first["highlight"]
    assert first["excerpt"][s:e] == body["answer"]
    assert 0.0 <= body["confidence"] <= 1.0


def test_off_topic_question_is_declined_with_a_reason(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "what is the wifi password for the guest network?"}).json()
    assert body["answer"] is None
    assert body["reason"]
    assert all(c["highlight"] is None for c in body["citations"])


def test_top_k_bounds_the_citations(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "CSO vs CRO performance metrics", "top_k": 3}).json()
    assert len(body["citations"]) == 3
    # The answer's passage is cited first; the related ones follow in score order.
    related = body["citations"][1:] if body["answer"] is not None else body["citations"]
    scores = [c["score"] for c in related]
    assert scores == sorted(scores, reverse=True)


def test_search_returns_ranked_citations(client: TestClient) -> None:
    body = client.get("/search", params={"q": "challenges faced by CROs", "k": 3}).json()
    assert len(body["results"]) == 3
    assert "Challenges Faced by CROs" in body["results"][0]["section"]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["manifest"]["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/documents/nope")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({"question": ""}, "empty"),
        ({"question": "   \n"}, "empty"),
        ({"question": "\x1f\ufeff "}, "empty"),  # control characters and a BOM show nothing either
        ({"question": "x" * 501}, "limit is 500"),
        ({"question": "ok question", "top_k": 0}, "greater than or equal to 1"),
        ({"question": "ok question", "top_k": 21}, "less than or equal to 20"),
        ({"question": 42}, "valid string"),
        ({"question": "ok", "top_k": "many"}, "valid integer"),
        ({"question": "ok", "top_k": True}, "valid integer"),
        ({"question": "ok", "top_k": 2.5}, "valid integer"),
        ({"question": "ok", "top_k": "5"}, "valid integer"),
        ({}, "Field required"),
        ({"question": "ok", "extra": 1}, "Extra inputs"),
    ],
)
def test_bad_ask_input_is_422_with_a_message(client: TestClient, payload: object, needle: str) -> None:
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    assert needle in response.text


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.text


def test_body_that_is_not_utf8_is_422(client: TestClient) -> None:
    # Found by the schema-driven tests: FastAPI's own answer to undecodable bytes was a bare 400.
    body = b'{"question": "\xff\xfe"}'
    response = client.post("/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "params", [{"q": ""}, {"q": "  "}, {"q": "\x1f"}, {"q": "ok", "k": 0}, {"q": "ok", "k": "x"}, {}]
)
def test_bad_search_input_is_422(client: TestClient, params: dict[str, str | int]) -> None:
    assert client.get("/search", params=params).status_code == 422


def test_missing_index_makes_readyz_503_and_queries_503(tmp_path: Path, embedder: Embedder) -> None:
    from service.api.app import create_app
    from service.config import Settings

    app = create_app(Settings(index_dir=tmp_path / "none"), embedder_factory=lambda _: embedder)
    with TestClient(app) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "no index" in ready.json()["detail"]
        assert c.post("/ask", json={"question": "who outranks the COO?"}).status_code == 503
        assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"weights": {"old_signal": 1.0}, "bias": 0.0, "threshold": 0.5}', "refit"),
        ("{not json", "cannot read"),
        (None, "cannot read"),  # no such file
    ],
)
def test_unusable_abstention_model_makes_readyz_503_with_the_reason(
    tmp_path: Path, index_dir: Path, embedder: Embedder, content: str | None, needle: str
) -> None:
    from service.api.app import create_app
    from service.config import Settings

    model = tmp_path / "abstention.json"
    if content is not None:
        model.write_text(content, encoding="utf-8")
    # The abstention model of the reranker-free path (with the reranker, answer_model.json's decides).
    settings = Settings(index_dir=index_dir, abstention_model=model, reranker="off")
    with TestClient(create_app(settings, embedder_factory=lambda _: embedder)) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and needle in ready.json()["detail"]
        assert c.post("/ask", json={"question": "who outranks the COO?"}).status_code == 503


def test_every_citation_of_every_eval_question_maps_to_its_document(kb: QAPipeline) -> None:
    texts = {d.doc_id: d.text for d in kb.kb.data.documents}
    for q in load_dataset(DEFAULT_DATASET):
        answer = kb.ask(q.question, 5)
        for p in answer.passages:
            assert texts[p.doc_id][p.start : p.end] == p.excerpt
        if answer.text is not None:
            assert answer.span is not None
            first, (s, e) = answer.passages[0], answer.span
            assert first.start <= s < e <= first.end
            assert texts[first.doc_id][s:e] == answer.text
            assert len(answer.text.split()) <= 60


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(min_size=1, max_size=120), top_k=st.integers(min_value=-3, max_value=30))
def test_no_question_makes_the_service_fail(client: TestClient, question: str, top_k: int) -> None:
    response = client.post("/ask", json={"question": question, "top_k": top_k})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        body = response.json()
        assert 0.0 <= body["confidence"] <= 1.0
        assert (body["answer"] is None) == (body["reason"] is not None)
    search = client.get("/search", params={"q": question, "k": 5})
    assert search.status_code in (200, 422), search.text


def test_who_wrote_an_article_is_answered_from_its_text_where_it_names_the_author(client: TestClient) -> None:
    catalog = json.loads((CORPUS / "catalog.json").read_text(encoding="utf-8"))
    for name, entry in catalog.items():
        body = client.post("/ask", json={"question": f"who wrote the article {entry['title']}?"}).json()
        first = body["citations"][0]
        assert first["doc_id"] == Path(name).stem
        if "author" in entry:
            assert body["answer"] == entry["author"]
            s, e = first["highlight"]
            assert first["excerpt"][s:e] == entry["author"]
        else:
            assert body["answer"] is None, f"{name} has no author, yet got {body['answer']!r}"
    # naming no article is not a question about any of them
    assert client.post("/ask", json={"question": "who wrote?"}).json()["answer"] is None


def test_integral_json_number_is_an_integer_top_k(client: TestClient) -> None:
    # JSON Schema counts 2.0 as an integer; the schema-driven tests send such numbers.
    body = client.post("/ask", json={"question": "CSO vs CRO performance metrics", "top_k": 2.0}).json()
    assert len(body["citations"]) == 2


def test_question_words_the_corpus_lacks_count_as_known_only_where_the_answer_says_them(
    kb: QAPipeline,
) -> None:
    """The corpus has neither "handles" nor "day", but the chosen span says both in other words
    ("the COO manages the daily operations"); it says nothing about pensions."""
    paraphrased = kb.ask("who handles the firm's day-to-day running", 5).selection.signals
    absent = kb.ask("what pension plan does the COO get", 5).selection.signals
    assert paraphrased.corpus_coverage == 1.0
    assert absent.corpus_coverage < 0.7


def test_text_that_is_not_unicode_is_422_not_500(client: TestClient) -> None:
    # JSON escapes can carry a lone surrogate, which is no character (a URL's bytes cannot).
    body = b'{"question": "why \\ud800"}'
    response = client.post("/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "lone surrogate at position 4" in response.text


def test_a_body_over_the_cap_is_413_before_it_is_parsed(client: TestClient) -> None:
    body = b'{"question": "' + b"x" * 20_000 + b'"}'
    response = client.post("/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "larger than 16384 bytes" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what streams in
        yield b'{"question": "'
        for _ in range(40):
            yield b"y" * 1000
        yield b'"}'

    streamed = client.post("/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_head_answers_every_get_route_without_a_body(client: TestClient) -> None:
    for url in ("/healthz", "/readyz", "/search?q=revenue", "/documents/cro-vs-coo", "/widget.js", "/"):
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200, url
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
