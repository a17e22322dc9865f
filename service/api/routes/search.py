"""GET /search: ranked passages for search-as-you-type. No `from __future__ import annotations`:
the query limits come from the settings at start.

The route is `async` and hands only the pipeline's work to the thread pool: a plain `def` route
also has FastAPI check its return value in the pool, a second hop through a worker thread that
cost more than the check."""

import time
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from service.api.deps import REFUSALS, AudienceDep, PipelineDep, QuerySlot
from service.api.errors import unprocessable
from service.api.models import NOT_BLANK, SearchResponse, citation, elapsed_ms, text_problem, too_long
from service.config import QueryLimits


def router(limits: QueryLimits) -> APIRouter:
    api = APIRouter(tags=["answers"])
    max_chars, max_k = limits.max_question_chars, limits.max_top_k
    text_schema = {"pattern": NOT_BLANK, "maxLength": max_chars}

    @api.get("/search", response_model=SearchResponse, dependencies=[QuerySlot], responses=REFUSALS)
    async def search(
        pipeline: PipelineDep,
        audience: AudienceDep,
        q: Annotated[str, Query(min_length=1, description="Search text.", json_schema_extra=text_schema)],
        k: Annotated[int, Query(ge=1, le=max_k, description=f"Results (1-{max_k}).")] = limits.default_top_k,
    ) -> SearchResponse:
        """Ranked passages for search-as-you-type."""
        if (message := text_problem(q, "q") or too_long(q, max_chars, "q")) is not None:
            raise unprocessable(("query", "q"), message)
        started = time.perf_counter()
        passages = await run_in_threadpool(pipeline.search, q.strip(), k, audience)
        return SearchResponse(
            query=q.strip(), results=[citation(p) for p in passages], took_ms=elapsed_ms(started)
        )

    return api
