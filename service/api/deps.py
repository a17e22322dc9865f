"""The state the lifespan loads, and typed FastAPI dependencies on it.

The dependencies are `async def` although none awaits: FastAPI runs a plain `def` dependency in
its thread pool, and each such hop (request to worker thread and back through the event loop)
cost more CPU than the dependency's work; a /search paid five of them. None of them blocks."""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import SecretStr

from indexer.errors import KbqaError
from service.api.admission import InFlightLimit, Overloaded, RateLimiter
from service.api.observability import Metrics
from service.config import Settings
from service.qa.access import EVERYONE, Audience
from service.qa.pipeline import QAPipeline

log = logging.getLogger("kbqa")


@dataclass
class AppState:
    """What the lifespan loaded: the pipeline, or why there is none (the service stays up so
    /healthz and /readyz can say what is wrong; every query answers 503), and the admission
    control and metrics every request passes."""

    settings: Settings
    pipeline: QAPipeline | None = None
    load_error: str | None = None
    metrics: Metrics = field(default_factory=Metrics)
    # Builds a pipeline from the configured index (set by the lifespan, with the loaded model).
    loader: Callable[[], QAPipeline] | None = None
    admission: InFlightLimit = field(init=False)
    rate: RateLimiter | None = field(init=False)
    _reloading: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.admission = InFlightLimit(self.settings.max_in_flight)
        per_minute = self.settings.rate_limit_per_minute
        self.rate = None if per_minute is None else RateLimiter(per_minute, self.settings.rate_limit_burst)

    def load(self) -> None:
        """Load the index at start; a failure leaves the service up and not ready."""
        try:
            self._swap_in(self._build())
        except KbqaError as exc:
            self.load_error = public(str(exc))
            log.error("index not loaded: %s", exc)

    def reload(self) -> QAPipeline:
        """Load the configured index again and serve it from the next request on. The new index
        is validated in full (checksums, model signature) before it serves; on any error the old
        one keeps serving and the error propagates. Requests in flight finish on the pipeline
        they started with: each holds its own reference."""
        with self._reloading:
            pipeline = self._build()
            self._swap_in(pipeline)
            log.info("index reloaded", extra={"fields": {"index": _summary(pipeline)}})
            return pipeline

    def _build(self) -> QAPipeline:
        if self.loader is None:
            raise KbqaError("the service has no index loader yet")
        return self.loader()

    def _swap_in(self, pipeline: QAPipeline) -> None:
        self.pipeline, self.load_error = pipeline, None  # one reference assignment: atomic
        self.metrics.index_loaded(pipeline.kb.manifest)

    def readiness(self) -> str | None:
        """None when queries can be answered, else why not."""
        if self.pipeline is not None:
            return None
        return self.load_error or "the index is not loaded yet"


# An absolute path in a message (/srv/kbqa/index/manifest.json): clients see only its last part.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"()]+/)+([^\s/'\"()]+)")


def public(message: str) -> str:
    """A message for clients: no server paths (the log keeps them whole)."""
    return _ABSOLUTE_PATH.sub(r".../\1", message)


def reload_logged(state: AppState) -> None:
    """`AppState.reload` for a signal handler: a refused index is logged, the old one serves on."""
    try:
        state.reload()
    except KbqaError as exc:
        log.error("reload refused, the old index keeps serving: %s", exc)


def _summary(pipeline: QAPipeline) -> dict[str, object]:
    manifest = pipeline.kb.manifest
    return {k: manifest.get(k) for k in ("version", "created", "counts")}


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.kbqa
    return state


async def get_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


async def get_pipeline(state: Annotated[AppState, Depends(get_state)]) -> QAPipeline:
    if state.pipeline is None:
        raise HTTPException(status_code=503, detail=f"service not ready: {state.readiness()}")
    return state.pipeline


async def query_slot(request: Request, state: Annotated[AppState, Depends(get_state)]) -> AsyncIterator[None]:
    """Admission for a query: within the client's rate, and one of the in-flight slots, held
    until the answer is computed."""
    if state.rate is not None:
        state.rate.check(request.client.host if request.client else "unknown")
    try:
        with state.admission.slot():
            yield
    except Overloaded:
        state.metrics.rejected.labels("overloaded").inc()
        raise


async def require_admin(request: Request, state: Annotated[AppState, Depends(get_state)]) -> None:
    """Admin routes need `Authorization: Bearer <KBQA_ADMIN_KEY>`; with no key configured they
    are off. The key is compared in constant time and never logged."""
    key = state.settings.admin_key
    if key is None:
        raise HTTPException(403, "admin routes are disabled; set KBQA_ADMIN_KEY (or KBQA_ADMIN_KEY_FILE)")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = key.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise HTTPException(401, "a valid admin key is required", headers={"WWW-Authenticate": "Bearer"})


async def get_audience(request: Request, state: Annotated[AppState, Depends(get_state)]) -> Audience:
    """Who is asking: the groups of the caller's search key and/or of the trusted proxy's header."""
    cfg = state.settings
    groups: set[str] = set()
    if cfg.search_keys:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        granted = _granted(given.strip().encode(), cfg.search_keys) if scheme.lower() == "bearer" else None
        if granted is None:
            raise HTTPException(401, "a valid search key is required", headers={"WWW-Authenticate": "Bearer"})
        if "*" in granted:
            return EVERYONE
        groups.update(granted)
    if cfg.trust_groups_header:
        header = request.headers.get(cfg.groups_header, "")
        groups.update(g.strip() for g in header.split(",") if g.strip())
    return Audience(frozenset(groups))


def _granted(given: bytes, keys: dict[SecretStr, list[str]]) -> list[str] | None:
    """The groups of the key given, comparing it with every key in constant time."""
    found = None
    for key, groups in keys.items():
        if hmac.compare_digest(given, key.get_secret_value().encode()):
            found = groups
    return found


# What a query route may answer before doing any work, for its OpenAPI description.
REFUSALS: dict[int | str, dict[str, object]] = {
    401: {"description": "A search key is required and was missing or wrong"},
    429: {"description": "Too many requests from this client (Retry-After says when to retry)"},
    503: {"description": "Overloaded (Retry-After) or the index is not loaded"},
}
StateDep = Annotated[AppState, Depends(get_state)]
# The slot is released when the route function returns, before the response is sent: released
# after it (the default "request" scope), a client that sends its next query as soon as it has
# read an answer could find its own previous slot still taken (seen as 503s at concurrency 8).
QuerySlot = Depends(query_slot, scope="function")
SettingsDep = Annotated[Settings, Depends(get_settings)]
AudienceDep = Annotated[Audience, Depends(get_audience)]
AdminOnly = Depends(require_admin)
PipelineDep = Annotated[QAPipeline, Depends(get_pipeline)]
