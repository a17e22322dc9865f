"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.api.deps import StateDep
from service.api.models import ReadyResponse

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyResponse, responses={503: {"model": ReadyResponse}})
def readyz(state: StateDep) -> JSONResponse:
    """200 with the index manifest when the index is loaded, 503 with the reason otherwise."""
    if state.pipeline is None:
        body = ReadyResponse(status="unavailable", detail=state.readiness())
        return JSONResponse(status_code=503, content=body.model_dump())
    summary = {k: v for k, v in state.pipeline.kb.manifest.items() if k != "files"}
    return JSONResponse(content=ReadyResponse(status="ready", manifest=summary).model_dump())
