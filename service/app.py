"""The HTTP app. `create_app(settings)` builds it; its lifespan loads the model and the index once.
Routes only parse, call the knowledge base and format; domain errors become HTTP errors here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.embedding import Embedder, SentenceTransformerEmbedder
from indexer.errors import KbqaError
from indexer.store import read_index
from service import widget
from service.abstention import AbstentionModel
from service.api_models import (
    MAX_TOP_K,
    NOT_BLANK,
    AskRequest,
    AskResponse,
    DocumentResponse,
    ErrorResponse,
    ReadyResponse,
    SearchResponse,
    has_text,
)
from service.config import Settings
from service.deps import KnowledgeBaseDep, SettingsDep
from service.engine import KnowledgeBase, Tuning
from service.errors import DocumentNotFound

log = logging.getLogger("kbqa")

EmbedderFactory = Callable[[Settings], Embedder]


def default_embedder(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(settings.model)


def load_knowledge_base(
    settings: Settings, embedder: Embedder, abstention: AbstentionModel | None = None
) -> KnowledgeBase:
    """The index with its abstention model: `abstention` when given (fitting a new one), else
    the configured file."""
    tuning = Tuning(search_depth=settings.search_depth, answer_passages=settings.answer_passages)
    if abstention is not None:
        kb = KnowledgeBase(read_index(settings.index_dir), embedder, abstention, tuning)
    else:
        kb = KnowledgeBase.load(settings.index_dir, embedder, settings.abstention_model, tuning)
    embedder.embed(["warm-up"])  # the first call pays one-off costs; keep them out of the first request
    return kb


def create_app(
    settings: Settings | None = None, *, embedder_factory: EmbedderFactory = default_embedder
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.kb = None
        app.state.load_error = None
        try:
            app.state.kb = load_knowledge_base(settings, embedder_factory(settings))
        except KbqaError as exc:
            # Stay up so /healthz and /readyz can say what is wrong; every query answers 503.
            app.state.load_error = str(exc)
            log.error("index not loaded: %s", exc)
        yield
        app.state.kb = None

    app = FastAPI(
        title="kbqa",
        version="0.1.0",
        summary="Answers questions from a knowledge base with verbatim, cited excerpts.",
        lifespan=lifespan,
        responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers a body it cannot decode (bytes that are not UTF-8) with a bare 400;
        # to a client that is malformed JSON like any other, so it gets the same 422.
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeError):
            not_utf8 = _unprocessable(["body"], "body is not UTF-8 encoded JSON")
            return await _validation_error(request, not_utf8)
        return await http_exception_handler(request, exc)

    @app.exception_handler(DocumentNotFound)
    async def _not_found(_: Request, exc: DocumentNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.post("/ask", response_model=AskResponse, tags=["answers"])
    def ask(body: AskRequest, kb: KnowledgeBaseDep, cfg: SettingsDep) -> AskResponse:
        """Answer a question with a verbatim span and the passages it came from, or decline."""
        _check_length(body.question, cfg)
        return kb.ask(body.question.strip(), min(body.top_k, cfg.max_top_k))

    @app.get("/search", response_model=SearchResponse, tags=["answers"])
    def search(
        kb: KnowledgeBaseDep,
        cfg: SettingsDep,
        q: Annotated[
            str, Query(min_length=1, description="Search text.", json_schema_extra={"pattern": NOT_BLANK})
        ],
        k: Annotated[int, Query(ge=1, le=MAX_TOP_K, description=f"Results (1-{MAX_TOP_K}).")] = 8,
    ) -> SearchResponse:
        """Ranked passages for search-as-you-type."""
        if not has_text(q):
            raise _unprocessable(["query", "q"], "q must not be empty or whitespace")
        _check_length(q, cfg, field="q", where="query")
        return kb.search(q.strip(), k)

    @app.get(
        "/documents/{doc_id}",
        response_model=DocumentResponse,
        tags=["documents"],
        responses={404: {"model": ErrorResponse, "description": "No document with this id"}},
    )
    def document(doc_id: str, kb: KnowledgeBaseDep) -> DocumentResponse:
        """The original text that citation offsets point into."""
        doc = kb.document(doc_id)
        return DocumentResponse(
            doc_id=doc.doc_id, title=doc.title, path=doc.path, meta=doc.meta, text=doc.text
        )

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=ReadyResponse, tags=["ops"], responses={503: {"model": ReadyResponse}})
    def readyz(request: Request) -> JSONResponse:
        """200 with the index manifest when the index is loaded, 503 with the reason otherwise."""
        kb: KnowledgeBase | None = getattr(request.app.state, "kb", None)
        if kb is None:
            detail = getattr(request.app.state, "load_error", None) or "starting"
            return JSONResponse(
                status_code=503, content=ReadyResponse(status="unavailable", detail=detail).model_dump()
            )
        summary = {k: v for k, v in kb.manifest.items() if k != "files"}
        return JSONResponse(content=ReadyResponse(status="ready", manifest=summary).model_dump())

    app.include_router(widget.router)
    _document_length_limit(app, settings.max_question_chars)
    return app


def _document_length_limit(app: FastAPI, limit: int) -> None:
    """State the configured question length limit in the OpenAPI schema, where clients and
    schema-driven tests read it; the models cannot, since the limit is a setting."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema["components"]["schemas"]["AskRequest"]["properties"]["question"]["maxLength"] = limit
            for param in schema["paths"]["/search"]["get"]["parameters"]:
                if param["name"] == "q":
                    param["schema"]["maxLength"] = limit
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _unprocessable(loc: list[str], msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": tuple(loc), "msg": msg, "type": "value_error"}])


def _check_length(text: str, cfg: Settings, field: str = "question", where: str = "body") -> None:
    if len(text) > cfg.max_question_chars:
        raise _unprocessable(
            [where, field], f"{field} is {len(text)} characters; the limit is {cfg.max_question_chars}"
        )
