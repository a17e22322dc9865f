"""Operator routes, behind the admin key: reload the index without a restart."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from indexer.errors import KbqaError
from service.api.deps import AdminOnly, StateDep, public
from service.api.models import ErrorResponse, ReadyResponse

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/reload",
    response_model=ReadyResponse,
    dependencies=[AdminOnly],
    responses={
        401: {"model": ErrorResponse, "description": "No or a wrong admin key"},
        403: {"model": ErrorResponse, "description": "Admin routes are off (no admin key configured)"},
        409: {"model": ErrorResponse, "description": "The new index is unusable; the old one keeps serving"},
    },
)
def reload(state: StateDep) -> ReadyResponse:
    """Load the index folder again (for example after `kbqa index` wrote a new version) and serve
    it from the next request on. SIGHUP does the same."""
    try:
        pipeline = state.reload()
    except KbqaError as exc:
        raise HTTPException(409, f"reload refused, the old index keeps serving: {public(str(exc))}") from exc
    summary = {k: v for k, v in pipeline.kb.manifest.items() if k != "files"}
    return ReadyResponse(status="ready", manifest=summary)
