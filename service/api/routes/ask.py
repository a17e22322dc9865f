"""POST /ask. No `from __future__ import annotations` here: the body model is made from the
settings at start, and FastAPI reads the route's annotations as objects. The route is `async`
and hands only the pipeline's work to the thread pool (see routes/search.py)."""

import logging
import time
from typing import cast

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from service.api.deps import REFUSALS, AudienceDep, PipelineDep, QuerySlot, StateDep
from service.api.models import AskRequestBase, AskResponse, ask_request_model, ask_response, elapsed_ms
from service.config import QueryLimits

log = logging.getLogger("kbqa")


def router(limits: QueryLimits) -> APIRouter:
    AskRequest = ask_request_model(limits)  # noqa: N806 (a class)
    api = APIRouter(tags=["answers"])

    @api.post("/ask", response_model=AskResponse, dependencies=[QuerySlot], responses=REFUSALS)
    async def ask(
        body: AskRequest,  # type: ignore[valid-type]  # made at start
        pipeline: PipelineDep,
        state: StateDep,
        audience: AudienceDep,
    ) -> AskResponse:
        """Answer a question with a verbatim span and the passages it came from, or decline."""
        started = time.perf_counter()
        request = cast(AskRequestBase, body)
        answer = await run_in_threadpool(pipeline.ask, request.question.strip(), request.top_k, audience)
        state.metrics.answers.labels("declined" if answer.text is None else "answered").inc()
        if state.settings.log_questions:
            fields = {"question": answer.question, "answered": answer.text is not None}
            log.info("question", extra={"fields": fields})
        return ask_response(answer, elapsed_ms(started))

    return api
