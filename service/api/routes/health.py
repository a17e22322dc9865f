"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.deps import StateDep
from service.api.models import ReadyResponse

router = APIRouter(tags=["ops"])


# async: answered on the event loop, so a thread pool busy with queries cannot delay them.
@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
async def readyz(state: StateDep) -> JSONResponse:
    """200 with the index manifest when the index is loaded, 503 with the reason otherwise."""
    if state.pipeline is None:
        body = ReadyResponse(status="unavailable", detail=state.readiness())
        return JSONResponse(status_code=503, content=body.model_dump())
    # Where some documents are restricted, their number and the corpus are nobody's business here.
    hidden = {"files", "counts", "corpus"} if state.pipeline.kb.restricted else {"files"}
    summary = {k: v for k, v in state.pipeline.kb.manifest.items() if k not in hidden}
    return JSONResponse(content=ReadyResponse(status="ready", manifest=summary).model_dump())


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(state: StateDep) -> Response:
    """Prometheus metrics: requests and latency by route and status, answers and abstentions,
    requests refused by reason, the live index's size."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
