"""The service's commands: index, serve, ask (`kbqa/cli.py` adds the eval's). Parses arguments,
calls the library, formats the result; library errors become one-line messages and a non-zero
exit here."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from service.config import Settings

if TYPE_CHECKING:
    from service.api.models import AskResponse

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Knowledge-base question answering.")


def _print_version(value: bool) -> None:
    if value:
        from indexer import __version__

        typer.echo(f"kbqa {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Knowledge-base question answering."""


# Options shared with the eval's commands.

IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="Index directory (default: KBQA_INDEX_DIR or ./index).")
]


def settings_from(**overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def index(
    corpus: Annotated[
        Path | None, typer.Option(help="Folder of .txt/.md articles (default: ./corpus).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Index directory to write (default: ./index).")] = None,
    model: Annotated[str | None, typer.Option(help="'bundled', a model folder or a hub model name.")] = None,
    max_words: Annotated[int | None, typer.Option(help="Largest passage, in words.")] = None,
    replace: Annotated[
        bool, typer.Option(help="Replace an index that was built from another corpus.")
    ] = False,
    include: Annotated[
        list[str] | None, typer.Option(help="Index only files matching this glob (repeatable; 'hr/*').")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Leave out files matching this glob (repeatable).")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Fail, indexing nothing, when any file would be skipped.")
    ] = False,
) -> None:
    """Build the index from a corpus folder as the index's next version (switched atomically)."""
    from indexer.build import build_index
    from indexer.chunking import ChunkingParams
    from indexer.corpus import CorpusOptions
    from indexer.embedding import SentenceTransformerEmbedder
    from service.index_report import report_lines

    cfg = settings_from(
        corpus_dir=corpus,
        index_dir=out,
        model=model,
        chunk_max_words=max_words,
        corpus_include=include or None,
        corpus_exclude=exclude or None,
    )
    options = CorpusOptions(
        tuple(cfg.corpus_include), tuple(cfg.corpus_exclude), int(cfg.max_file_mb * 1024 * 1024)
    )
    embedder = SentenceTransformerEmbedder(cfg.model)
    manifest = build_index(
        cfg.corpus_dir,
        cfg.index_dir,
        embedder,
        ChunkingParams(max_words=cfg.chunk_max_words),
        progress=True,
        replace=replace,
        options=options,
        strict=strict,
        query_encoder=_query_encoder(cfg),
    )
    counts = manifest["counts"]
    typer.echo(
        f"indexed {counts['documents']} documents -> {counts['chunks']} passages, "
        f"{counts['candidates']} answer spans into {cfg.index_dir} "
        f"({counts['embedded']} texts embedded, {counts['reused']} unchanged ones reused)"
    )
    for line in report_lines(manifest):
        typer.echo(line)


def _query_encoder(cfg: Settings) -> dict[str, Any] | None:
    """Export and verify the ONNX query encoder now, not at the first query; its record goes into
    the manifest. A failure is reported, not fatal: the index does not need it, the service falls
    back to PyTorch."""
    from indexer.embedding import BUNDLED

    if cfg.encoder_backend == "torch" or cfg.model != BUNDLED:
        return None
    from indexer.onnx_embedding import ensure_encoder

    try:
        return ensure_encoder()
    except Exception as exc:  # noqa: BLE001 - see above
        typer.echo(f"ONNX query encoder not exported ({type(exc).__name__}: {exc}); queries use PyTorch")
        return None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    index: IndexOpt = None,
    corpus: Annotated[
        Path | None,
        typer.Option(
            help="Serve this corpus folder: its index (index/ for the bundled corpus, else "
            "indexes/<path with / as ->, or --index) is built when missing or stale."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (default: KBQA_WORKERS or 1); each loads the "
            "model, the index is shared memory-mapped, cores are shared out among them.",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (docs at /docs), logging JSON lines to stderr."""
    import uvicorn

    from service.api.app import create_app
    from service.api.observability import configure_logging
    from service.corpus_index import index_dir_for

    if corpus is not None and index is None:
        index = index_dir_for(corpus)
    cfg = settings_from(index_dir=index, workers=workers)
    if corpus is not None:
        ensure_index(corpus, cfg)
    else:
        warn_missing_index(cfg.index_dir)
    configure_logging()
    if cfg.workers > 1:
        _serve_workers(cfg, host, port)
        return
    uvicorn.run(
        create_app(cfg),
        host=host,
        port=port,
        # Connections beyond this get a 503 from uvicorn itself, before any app code runs.
        limit_concurrency=cfg.max_connections,
        # An idle keep-alive connection is closed after this; a slow client cannot hold one forever.
        timeout_keep_alive=cfg.keep_alive_seconds,
        # On SIGTERM, in-flight requests get this long to finish; then the process exits anyway.
        timeout_graceful_shutdown=cfg.shutdown_grace_seconds,
        access_log=False,  # the JSON access log of service/api/observability.py replaces it
    )


def ensure_index(corpus: Path, cfg: Settings) -> None:
    """Build the index of `corpus` at cfg.index_dir when it is missing or stale (loading the
    PyTorch model, which embeds documents, only then). An index of another corpus there is
    refused, never replaced."""
    from indexer.build import build_index
    from indexer.chunking import ChunkingParams
    from indexer.embedding import SentenceTransformerEmbedder
    from service.corpus_index import staleness

    params = ChunkingParams(max_words=cfg.chunk_max_words)
    why = staleness(corpus, cfg.index_dir, params)  # before the model loads: a bad corpus fails fast
    if why is not None:
        typer.echo(f"indexing {corpus} into {cfg.index_dir} ({why})", err=True)
        build_index(corpus, cfg.index_dir, SentenceTransformerEmbedder(cfg.model), params, progress=True)


def warn_missing_index(index_dir: Path) -> None:
    """Say at once (before the model loads) when there is no index to serve: the service starts,
    not ready, and answers 503 until one is built and reloaded."""
    from indexer.errors import KbqaError
    from indexer.store import read_manifest

    try:
        read_manifest(index_dir)
    except KbqaError as exc:
        typer.secho(
            f"warning: {exc}; serving without an index (503) until one is built "
            "(kbqa index, or kbqa serve --corpus FOLDER)",
            fg="yellow",
            err=True,
        )


def _serve_workers(cfg: Settings, host: str, port: int) -> None:
    """N uvicorn worker processes; each builds its app from the environment (`app_from_env`), so
    what the options set is passed on there. Same connection limits as one process."""
    import os

    import uvicorn

    os.environ["KBQA_INDEX_DIR"] = str(cfg.index_dir)
    os.environ["KBQA_WORKERS"] = str(cfg.workers)
    uvicorn.run(
        "service.api.app:app_from_env",
        factory=True,
        workers=cfg.workers,
        host=host,
        port=port,
        limit_concurrency=cfg.max_connections,
        timeout_keep_alive=cfg.keep_alive_seconds,
        timeout_graceful_shutdown=cfg.shutdown_grace_seconds,
        access_log=False,
    )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    top_k: Annotated[int, typer.Option(min=1, help="Passages to cite (at most KBQA_MAX_TOP_K).")] = 3,
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
    url: Annotated[
        str | None,
        typer.Option(help="Ask a running service (http://host:port) instead of loading the model here."),
    ] = None,
) -> None:
    """Ask one question and print the answer with its sources."""
    cfg = settings_from(index_dir=index)
    try:
        from service.api.models import ask_request_model

        request = ask_request_model(cfg.limits)(question=question, top_k=top_k)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"]) from exc
    if url is not None:
        from service.remote import ask_remote

        response = ask_remote(url, request.question, request.top_k)
    else:
        response = _ask_here(cfg, request.question, request.top_k)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    print_answer(response)


def _ask_here(cfg: Settings, question: str, top_k: int) -> AskResponse:
    from indexer.store import read_manifest
    from service.api.app import default_embedder, default_reader, load_pipeline
    from service.api.models import ask_response, elapsed_ms

    read_manifest(cfg.index_dir)  # a missing index is reported before the model loads
    pipeline = load_pipeline(cfg, default_embedder(cfg), reader=default_reader(cfg))
    started = time.perf_counter()
    return ask_response(pipeline.ask(question.strip(), top_k), elapsed_ms(started))


def print_answer(response: AskResponse) -> None:
    """The answer as a person reads it, then each source with where its verbatim text lies."""
    if response.answer:
        for line in (response.display or response.answer).splitlines():
            typer.secho(textwrap.fill(line, 100), bold=True)
        typer.echo(f"confidence {response.confidence:.2f}")
    else:
        typer.secho("Not covered by the knowledge base.", bold=True)
        typer.echo(response.reason or "")
    from service.qa.display import section_label

    for n, c in enumerate(response.citations, start=1):
        where = f"{c.title}" + (f" > {section_label(c.section.split(' > '))}" if c.section else "")
        typer.echo(f"\n[{n}] {where}  ({c.doc_id}:{c.start}-{c.end}, score {c.score:.3f})")
        if c.url:
            typer.echo(f"    {c.url}")
        for line in (c.display or c.excerpt).splitlines():
            typer.echo(textwrap.indent(textwrap.fill(line, 96), "    "))
