"""The HTTP app. `create_app(settings)` builds it; its lifespan loads the model and the index once.
Routes only parse, call the query pipeline and format; domain errors become HTTP errors in
`errors.py`."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from starlette.middleware.trustedhost import TrustedHostMiddleware

from indexer import __version__
from indexer.embedding import CachedEmbedder, Embedder
from indexer.errors import KbqaError, ModelError
from indexer.store import IndexData, read_index
from service.api.deps import AppState, public, reload_logged
from service.api.errors import install_error_handlers
from service.api.middleware import BodyLimitMiddleware, HeadAsGetMiddleware, SecurityHeadersMiddleware
from service.api.models import ErrorResponse
from service.api.observability import ObservabilityMiddleware
from service.api.routes import admin, ask, documents, health, search, widget
from service.config import Settings
from service.qa.abstention import DEFAULT_MODEL_PATH, AbstentionModel
from service.qa.answer_model import DEFAULT_ANSWER_MODEL_PATH, AnswerModel
from service.qa.pipeline import QAPipeline
from service.qa.reading import Reader
from service.qa.retrieval import PassageSearch
from service.qa.tuning import Tuning

log = logging.getLogger("kbqa")

EmbedderFactory = Callable[[Settings], Embedder]
ReaderFactory = Callable[[Settings], Reader | None]


def default_embedder(settings: Settings) -> Embedder:
    """The query encoder the settings ask for (ONNX or PyTorch), behind an LRU cache of vectors."""
    from indexer.onnx_embedding import load_embedder

    embedder = load_embedder(settings.model, settings.encoder_backend, threads=settings.intra_op_threads)
    log.info("query encoder: %s", getattr(embedder, "backend", type(embedder).__name__))
    return CachedEmbedder(embedder, settings.query_cache_size) if settings.query_cache_size else embedder


def app_from_env() -> FastAPI:
    """The app from KBQA_* variables alone: the factory `kbqa serve --workers N` hands uvicorn,
    whose worker processes each build their own app (and load their own model)."""
    return create_app(Settings())


def default_reader(settings: Settings) -> Reader | None:
    """The configured answer reranker, or None when it is off: the bundled one, a folder of this
    project's format, or any sentence-transformers cross-encoder (a folder or a hub name)."""
    if settings.reranker == "off":
        return None
    from service.cross_encoder import CrossEncoderReader, is_reranker_folder
    from service.reranker import DEFAULT_FOLDER, Reranker

    folder = DEFAULT_FOLDER if settings.reranker == "bundled" else Path(settings.reranker)
    if not is_reranker_folder(folder):
        return CrossEncoderReader(settings.reranker, threads=settings.intra_op_threads)
    try:
        return Reranker(folder, backend=settings.reranker_backend, threads=settings.intra_op_threads)
    except (OSError, ValueError, RuntimeError) as exc:  # missing or mismatched weights
        raise ModelError(f"cannot load the reranker from {folder.name}: {exc}") from exc


def passage_search(settings: Settings, data: IndexData) -> PassageSearch | None:
    """The configured passage store (None: FAISS and bm25s in process). A Milvus collection is
    brought in line with the index first, so every replica serves the same passages."""
    if settings.store == "faiss":
        return None
    from service.qa.milvus import MilvusSearch, MilvusStore

    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    store = MilvusStore(settings.store, data.passage_vectors.shape[1], settings.milvus_collection, token)
    store.sync(data)
    return MilvusSearch(store, data)


def load_pipeline(
    settings: Settings,
    embedder: Embedder,
    abstention: AbstentionModel | None = None,
    reader: Reader | None = None,
) -> QAPipeline:
    """The index with its abstention model: `abstention` when given (fitting a new one), else
    the configured file — or, with a reader, the fitted answer model's."""
    tuning = Tuning(search_depth=settings.search_depth, answer_passages=settings.answer_passages)
    if reader is not None:
        fitted = AnswerModel.from_file(settings.answer_model or DEFAULT_ANSWER_MODEL_PATH)
        fitted.check_reader(reader.identity)
        tuning = replace(tuning, answer=fitted.weights, reader_depth=fitted.depth)
        abstention = abstention or fitted.abstention
    model = abstention or AbstentionModel.from_file(settings.abstention_model or DEFAULT_MODEL_PATH)
    import faiss

    faiss.omp_set_num_threads(settings.intra_op_threads)  # workers x threads <= cores
    data = read_index(settings.index_dir)
    search = passage_search(settings, data)
    pipeline = QAPipeline(data, embedder, model, tuning, reader=reader, search=search)
    embedder.embed(["warm-up"])  # the first call pays one-off costs; keep them out of the first request
    return pipeline


def create_app(
    settings: Settings | None = None,
    *,
    embedder_factory: EmbedderFactory = default_embedder,
    reader_factory: ReaderFactory = default_reader,
) -> FastAPI:
    settings = settings or Settings()
    state = AppState(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            embedder = embedder_factory(settings)
            reader = reader_factory(settings)
        except KbqaError as exc:
            state.load_error = public(str(exc))
            log.error("model not loaded: %s", exc)
        else:
            state.loader = partial(load_pipeline, settings, embedder, reader=reader)
            state.load()
        unhook = _reload_on_sighup(state)
        yield
        unhook()
        state.pipeline = None

    app = FastAPIOffline(
        title="kbqa",
        version=__version__,
        summary="Answers questions from a knowledge base with verbatim, cited excerpts.",
        lifespan=lifespan,
        responses={
            413: {"model": ErrorResponse, "description": "Request body too large"},
            422: {"model": ErrorResponse},
            503: {"model": ErrorResponse},
        },
    )
    app.state.kbqa = state
    _add_middleware(app, settings, state)
    install_error_handlers(app)
    for router in (
        admin.router,
        ask.router(settings.limits),
        search.router(settings.limits),
        documents.router,
        health.router,
        widget.router,
    ):
        app.include_router(router)
    return app


def _add_middleware(app: FastAPI, settings: Settings, state: AppState) -> None:
    """CORS (when origins are allowed), body limit, HEAD, security headers, trusted hosts and,
    outermost, request ids, logs and metrics."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", settings.groups_header],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
    if settings.allowed_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(ObservabilityMiddleware, metrics=state.metrics)


def _reload_on_sighup(state: AppState) -> Callable[[], None]:
    """SIGHUP reloads the index, as daemons conventionally do (uvicorn leaves the signal alone,
    which would otherwise end the process). Only the main thread can take signals: elsewhere (an
    in-process test client) this does nothing. Returns the function that removes the handler."""
    try:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, reload_logged, state))
    except (NotImplementedError, RuntimeError, ValueError):
        return lambda: None

    def unhook() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return unhook
