"""The `kbqa` command: index, serve, ask, eval. Parses arguments, calls the library, formats the
result; library errors become one-line messages and a non-zero exit here."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from indexer.errors import KbqaError
from service.config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Knowledge-base question answering.")

IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="Index directory (default: KBQA_INDEX_DIR or ./index).")
]


def _settings(**overrides: Any) -> Settings:
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
) -> None:
    """Build the index from a corpus folder (atomically replaces the old one)."""
    from indexer.build import build_index
    from indexer.chunking import ChunkingParams
    from indexer.embedding import SentenceTransformerEmbedder

    cfg = _settings(corpus_dir=corpus, index_dir=out, model=model, chunk_max_words=max_words)
    embedder = SentenceTransformerEmbedder(cfg.model)
    manifest = build_index(
        cfg.corpus_dir, cfg.index_dir, embedder, ChunkingParams(max_words=cfg.chunk_max_words), progress=True
    )
    counts = manifest["counts"]
    typer.echo(
        f"indexed {counts['documents']} documents -> {counts['chunks']} passages, "
        f"{counts['candidates']} answer spans into {cfg.index_dir} "
        f"({counts['embedded']} texts embedded, {counts['reused']} unchanged ones reused)"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    index: IndexOpt = None,
) -> None:
    """Serve the HTTP API (docs at /docs)."""
    import uvicorn

    from service.app import create_app

    cfg = _settings(index_dir=index)
    uvicorn.run(create_app(cfg), host=host, port=port)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    top_k: Annotated[int, typer.Option(min=1, max=20, help="Passages to cite.")] = 3,
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
) -> None:
    """Ask one question and print the answer with its sources."""
    from service.api_models import AskRequest
    from service.app import default_embedder, load_knowledge_base

    try:
        request = AskRequest(question=question, top_k=top_k)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"]) from exc
    cfg = _settings(index_dir=index)
    if len(question) > cfg.max_question_chars:
        raise typer.BadParameter(f"question is longer than {cfg.max_question_chars} characters")
    kb = load_knowledge_base(cfg, default_embedder(cfg))
    response = kb.ask(request.question.strip(), request.top_k)
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


@app.command("eval")
def evaluate(
    dataset: Annotated[
        Path | None, typer.Option(help="Questions (.jsonl); default: the bundled eval set.")
    ] = None,
    index: IndexOpt = None,
    url: Annotated[
        str | None, typer.Option(help="Evaluate a running service at this base URL instead.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "eval/results/latest.json"
    ),
    fit: Annotated[
        Path | None, typer.Option(help="Fit the abstention model on this set and write it here.")
    ] = None,
    fit_also: Annotated[
        list[str] | None,
        typer.Option(
            help="DATASET:INDEX of another knowledge base to fit on too (repeatable), so the "
            "abstention model is not fitted to one corpus."
        ),
    ] = None,
    min_accuracy: Annotated[float, typer.Option(help="Fail below this answer accuracy.")] = 0.0,
    min_recall5: Annotated[float, typer.Option(help="Fail below this recall@5.")] = 0.0,
    min_abstention: Annotated[float, typer.Option(help="Fail below this abstention accuracy.")] = 0.0,
    max_false_abstentions: Annotated[
        float, typer.Option(help="Fail above this false-abstention rate.")
    ] = 1.0,
) -> None:
    """Run the eval set and print/write the measures; exit 1 when below the given thresholds."""
    from eval.dataset import DEFAULT_DATASET, load_dataset
    from eval.runner import fit_abstention, measure, run, write_outputs
    from service.abstention import AbstentionModel

    questions = load_dataset(dataset or DEFAULT_DATASET)
    if url:
        from eval.http import http_asker

        asker = http_asker(url)
    else:
        from service.app import default_embedder, load_knowledge_base

        cfg = _settings(index_dir=index)
        # Fitting must not depend on the current model file, which may predate a new signal.
        placeholder = AbstentionModel.unfitted() if fit is not None else None
        kb = load_knowledge_base(cfg, default_embedder(cfg), placeholder)
        if fit is not None:
            signals = [kb.ask_detailed(q.question, 5)[1].signals for q in questions]
            labels = [q.answerable for q in questions]
            for pair in fit_also or []:
                extra_path, _, extra_index = pair.rpartition(":")
                extra_kb = load_knowledge_base(
                    _settings(index_dir=Path(extra_index)), kb.embedder, placeholder
                )
                extra = load_dataset(Path(extra_path))
                signals += [extra_kb.ask_detailed(q.question, 5)[1].signals for q in extra]
                labels += [q.answerable for q in extra]
            model = fit_abstention(signals, labels)
            fit.write_text(model.to_json() + "\n", encoding="utf-8")
            kb.abstention = model
            typer.echo(f"fitted abstention model written to {fit} (threshold {model.threshold:.3f})")
        asker = lambda question: kb.ask(question, 5)  # noqa: E731
    report = measure(run(questions, asker))
    write_outputs(report, out)
    typer.echo(report.table())
    typer.echo(f"\nreport: {out}")
    failed = [
        name
        for name, bad in (
            ("answer accuracy", report.answer_accuracy < min_accuracy),
            ("recall@5", report.recall_at_5 < min_recall5),
            ("abstention accuracy", report.abstention_accuracy < min_abstention),
            ("false abstentions", report.false_abstentions > max_false_abstentions),
        )
        if bad
    ]
    if failed:
        typer.secho(f"below threshold: {', '.join(failed)}", fg="red", err=True)
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KbqaError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    except (ValueError, OSError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
