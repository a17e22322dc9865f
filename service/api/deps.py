"""The state the lifespan loads, and typed FastAPI dependencies on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from service.api.admission import InFlightLimit, Overloaded, RateLimiter
from service.api.observability import Metrics
from service.config import Settings
from service.qa.pipeline import QAPipeline


@dataclass
class AppState:
    """What the lifespan loaded: the pipeline, or why there is none (the service stays up so
    /healthz and /readyz can say what is wrong; every query answers 503), and the admission
    control and metrics every request passes."""

    settings: Settings
    pipeline: QAPipeline | None = None
    load_error: str | None = None
    metrics: Metrics = field(default_factory=Metrics)
    admission: InFlightLimit = field(init=False)
    rate: RateLimiter | None = field(init=False)

    def __post_init__(self) -> None:
        self.admission = InFlightLimit(self.settings.max_in_flight)
        per_minute = self.settings.rate_limit_per_minute
        self.rate = None if per_minute is None else RateLimiter(per_minute, self.settings.rate_limit_burst)

    def readiness(self) -> str | None:
        """None when queries can be answered, else why not."""
        if self.pipeline is not None:
            return None
        return self.load_error or "the index is not loaded yet"


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.kbqa
    return state


def get_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


def get_pipeline(state: Annotated[AppState, Depends(get_state)]) -> QAPipeline:
    if state.pipeline is None:
        raise HTTPException(status_code=503, detail=f"service not ready: {state.readiness()}")
    return state.pipeline


def query_slot(request: Request, state: Annotated[AppState, Depends(get_state)]) -> Iterator[None]:
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


# What a query route may answer before doing any work, for its OpenAPI description.
REFUSALS: dict[int | str, dict[str, object]] = {
    429: {"description": "Too many requests from this client (Retry-After says when to retry)"},
    503: {"description": "Overloaded (Retry-After) or the index is not loaded"},
}
StateDep = Annotated[AppState, Depends(get_state)]
QuerySlot = Depends(query_slot)
SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[QAPipeline, Depends(get_pipeline)]
