"""POST /ask. No `from __future__ import annotations` here: the body model is made from the
settings at start, and FastAPI reads the route's annotations as objects."""

import time
from typing import cast

from fastapi import APIRouter

from service.api.deps import PipelineDep
from service.api.models import AskRequestBase, AskResponse, ask_request_model, ask_response, elapsed_ms
from service.config import QueryLimits


def router(limits: QueryLimits) -> APIRouter:
    AskRequest = ask_request_model(limits)  # noqa: N806 (a class)
    api = APIRouter(tags=["answers"])

    @api.post("/ask", response_model=AskResponse)
    def ask(body: AskRequest, pipeline: PipelineDep) -> AskResponse:  # type: ignore[valid-type]  # made at start
        """Answer a question with a verbatim span and the passages it came from, or decline."""
        started = time.perf_counter()
        request = cast(AskRequestBase, body)
        answer = pipeline.ask(request.question.strip(), request.top_k)
        return ask_response(answer, elapsed_ms(started))

    return api
