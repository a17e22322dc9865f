"""The service's commands: index, serve, ask (`kbqa/cli.py` adds the eval's). Parses arguments,
calls the library, formats the result; library errors become one-line messages and a non-zero
exit here."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from service.config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Knowledge-base question answering.")
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
) -> None:
    """Build the index from a corpus folder as the index's next version (switched atomically)."""
    from indexer.build import build_index
    from indexer.chunking import ChunkingParams
    from indexer.embedding import BUNDLED, SentenceTransformerEmbedder

    cfg = settings_from(corpus_dir=corpus, index_dir=out, model=model, chunk_max_words=max_words)
    embedder = SentenceTransformerEmbedder(cfg.model)
    encoder = None
    if cfg.encoder_backend != "torch" and cfg.model == BUNDLED:
        from indexer.onnx_embedding import ensure_encoder

        try:  # export + verify the ONNX query encoder now, not at the first query
            encoder = ensure_encoder()
        except Exception as exc:  # noqa: BLE001 - the index does not need it; the service falls back
            typer.echo(f"ONNX query encoder not exported ({type(exc).__name__}: {exc}); queries use PyTorch")
    manifest = build_index(
        cfg.corpus_dir,
        cfg.index_dir,
        embedder,
        ChunkingParams(max_words=cfg.chunk_max_words),
        progress=True,
        replace=replace,
        query_encoder=encoder,
    )
    counts = manifest["counts"]
    typer.echo(
        f"indexed {counts['documents']} documents -> {counts['chunks']} passages, "
        f"{counts['candidates']} answer spans into {cfg.index_dir} "
        f"({counts['embedded']} texts embedded, {counts['reused']} unchanged ones reused)"
    )
    for skipped in manifest.get("skipped", []):
        typer.echo(f"skipped {skipped['path']}: {skipped['reason']}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    index: IndexOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (default: KBQA_WORKERS or 1); each loads the "
                     "model, the index is shared memory-mapped, cores are shared out among them."),
    ] = None,
) -> None:
    """Serve the HTTP API (docs at /docs), logging JSON lines to stderr."""
    import uvicorn

    from service.api.app import create_app
    from service.api.observability import configure_logging

    cfg = settings_from(index_dir=index, workers=workers)
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
) -> None:
    """Ask one question and print the answer with its sources."""
    from indexer.store import read_manifest
    from service.api.app import default_embedder, load_pipeline
    from service.api.models import ask_request_model, ask_response, elapsed_ms

    cfg = settings_from(index_dir=index)
    try:
        request = ask_request_model(cfg.limits)(question=question, top_k=top_k)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"]) from exc
    read_manifest(cfg.index_dir)  # a missing index is reported before the model loads
    pipeline = load_pipeline(cfg, default_embedder(cfg))
    started = time.perf_counter()
    response = ask_response(pipeline.ask(request.question.strip(), request.top_k), elapsed_ms(started))
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    if response.answer:
        typer.secho(textwrap.fill(response.answer, 100), bold=True)
        typer.echo(f"confidence {response.confidence:.2f}")
    else:
        typer.secho("No answer in the knowledge base.", bold=True)
        typer.echo(response.reason or "")
    for n, c in enumerate(response.citations, start=1):
        where = f"{c.title}" + (f" > {c.section}" if c.section else "")
        typer.echo(f"\n[{n}] {where}  ({c.doc_id}:{c.start}-{c.end}, score {c.score:.3f})")
        typer.echo(textwrap.indent(textwrap.fill(c.excerpt, 96), "    "))
