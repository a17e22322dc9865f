"""Admission control and observability: in-flight bound, per-client rate, request ids, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.embedding import Embedder
from service.api.admission import InFlightLimit, Overloaded, RateLimited, RateLimiter
from service.api.app import create_app
from service.config import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)  # one token every 10 s
    limiter.check("a")
    limiter.check("a")
    with pytest.raises(RateLimited) as refused:
        limiter.check("a")
    assert refused.value.status_code == 429 and refused.value.headers == {"Retry-After": "10"}
    limiter.check("b")  # another client has its own bucket
    clock.now = 10.0
    limiter.check("a")
    with pytest.raises(RateLimited):
        limiter.check("a")


def test_in_flight_slots_are_bounded_and_given_back() -> None:
    limit = InFlightLimit(2)
    with limit.slot(), limit.slot():
        with pytest.raises(Overloaded) as refused, limit.slot():
            pass
        assert refused.value.status_code == 503 and refused.value.headers == {"Retry-After": "1"}
    with limit.slot():
        pass


@pytest.fixture()
def tight(index_dir: Path, embedder: Embedder) -> Iterator[TestClient]:
    settings = Settings(index_dir=index_dir, max_in_flight=1, rate_limit_per_minute=60, rate_limit_burst=3)
    with TestClient(create_app(settings, embedder_factory=lambda _: embedder)) as client:
        yield client


def test_beyond_the_in_flight_bound_queries_get_503_at_once_and_health_still_answers(
    tight: TestClient,
) -> None:
    admission = tight.app.state.kbqa.admission  # type: ignore[attr-defined]  # the app's typed state
    with admission.slot():  # another query holds the only slot
        busy = tight.post("/ask", json={"question": "who outranks the COO?"})
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "limit" in busy.json()["detail"]
        assert tight.get("/healthz").status_code == 200 and tight.get("/readyz").status_code == 200
    assert tight.post("/ask", json={"question": "who outranks the COO?"}).status_code == 200
    assert 'kbqa_rejected_total{reason="overloaded"} 1.0' in tight.get("/metrics").text


def test_a_client_over_its_rate_gets_429_with_retry_after(tight: TestClient) -> None:
    statuses = [tight.get("/search", params={"q": "revenue"}).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    refused = tight.get("/search", params={"q": "revenue"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_requests_carry_an_id_and_are_counted_by_route(client: TestClient) -> None:
    answered = client.post("/ask", json={"question": "who outranks the COO?"})
    assert len(answered.headers["x-request-id"]) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "edge-42"})
    assert echoed.headers["x-request-id"] == "edge-42"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert forged.headers["x-request-id"] != "bad id\nwith newline"
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'kbqa_answers_total{outcome="answered"}' in text
    assert 'kbqa_requests_total{method="POST",route="/ask",status="200"}' in text
    assert "kbqa_index_documents 4.0" in text
