"""Request ids, JSON access logs and Prometheus metrics. Each app has its own metrics registry
(several apps in one process, as in the tests, do not share counters). A question's text is never
logged unless `KBQA_LOG_QUESTIONS` says so: questions can carry personal data."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it looks like one (a proxy's or a client's), so logs join up.
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("kbqa.access")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kbqa_requests", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "kbqa_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.answers = Counter(
            "kbqa_answers", "Questions answered or declined", ["outcome"], registry=self.registry
        )
        self.rejected = Counter(
            "kbqa_rejected", "Requests refused before any work, by reason", ["reason"], registry=self.registry
        )
        self.documents = Gauge("kbqa_index_documents", "Documents in the live index", registry=self.registry)
        self.passages = Gauge("kbqa_index_passages", "Passages in the live index", registry=self.registry)

    def index_loaded(self, manifest: dict[str, Any]) -> None:
        counts = manifest.get("counts", {})
        self.documents.set(counts.get("documents", 0))
        self.passages.set(counts.get("chunks", 0))


# Statuses that mean a request was refused before any work, and the reason counted for each
# (a 503 for overload is counted where it is raised: a 503 can also mean "index not loaded").
_REFUSALS = {413: "body_too_large", 429: "rate_limited"}


class ObservabilityMiddleware:
    """Gives every request an id (returned as X-Request-ID), logs one JSON line per request and
    counts it by route template (never by raw path: ids in paths would explode the series)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, request_id, status, time.perf_counter() - started)

    def _record(self, scope: Scope, request_id: str, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.requests.labels(route, scope["method"], str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)
        if status in _REFUSALS:
            self.metrics.rejected.labels(_REFUSALS[status]).inc()
        entry = {
            "request_id": request_id,
            "method": scope["method"],
            "route": route,
            "status": status,
            "ms": round(seconds * 1000, 2),
        }
        access_log.info("request", extra={"fields": entry})


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging() -> None:
    """kbqa's loggers write JSON lines to stderr (called by `kbqa serve`, not on import)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("kbqa", "kbqa.access"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
