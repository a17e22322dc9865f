"""The `kbqa eval` command: run a question set in process (or against a running service), print
and write the measures, optionally fit the abstention model first. Registered on the `kbqa`
command by `kbqa/cli.py`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eval.dataset import DEFAULT_DATASET, EvalQuestion, load_dataset
from eval.measures.operating_points import Judged, OperatingPoint, operating_points
from eval.runner import (
    Report,
    in_process_asker,
    measure,
    operating_points_json,
    operating_points_table,
    run,
    write_outputs,
)
from service.cli import IndexOpt, settings_from

if TYPE_CHECKING:  # the query path is imported when the command runs: `kbqa serve` need not pay for it
    from indexer.embedding import Embedder
    from service.config import Settings
    from service.qa.abstention import AbstentionModel
    from service.qa.pipeline import QAPipeline


def default_embedder(settings: Settings) -> Embedder:
    from service.api.app import default_embedder as load

    return load(settings)


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
    fit_to: Annotated[
        Path | None, typer.Option("--fit", help="Fit the abstention model on this set and write it here.")
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
    sweep: Annotated[
        bool,
        typer.Option("--operating-points", help="Also show what each threshold would give (in process)."),
    ] = False,
) -> None:
    """Run the eval set and print/write the measures; exit 1 when below the given thresholds."""

    if sweep and url:
        raise typer.BadParameter("runs in process only; leave out --url", param_hint="--operating-points")
    questions = load_dataset(dataset or DEFAULT_DATASET)
    if url:
        from eval.http import http_asker

        report, points = measure(run(questions, http_asker(url))), None
    else:
        report, points = _measure_in_process(index, questions, fit_to, fit_also or [], sweep)
    write_outputs(report, out)
    typer.echo(report.table())
    if points is not None:
        targets = (min_accuracy, min_abstention, max_false_abstentions)
        typer.echo("\n" + operating_points_table(points, report.tuning, targets))
    typer.echo(f"\nreport: {out}")
    failed = report.below(
        min_accuracy=min_accuracy,
        min_recall5=min_recall5,
        min_abstention=min_abstention,
        max_false_abstentions=max_false_abstentions,
    )
    if failed:
        typer.secho(f"below threshold: {', '.join(failed)}", fg="red", err=True)
        raise typer.Exit(1)


def _measure_in_process(
    index: Path | None, questions: list[EvalQuestion], fit_to: Path | None, fit_also: list[str], sweep: bool
) -> tuple[Report, list[OperatingPoint] | None]:
    """The report of an index loaded here, with the tuning it answered with and, when asked,
    every threshold's operating point (kept in the report too)."""
    pipeline = _in_process(index, questions, fit_to, fit_also)
    tuning = {**pipeline.tuning.to_json(), "abstention_threshold": pipeline.abstention.threshold}
    report = measure(run(questions, in_process_asker(pipeline)), tuning)
    points = _sweep(pipeline, questions) if sweep else None
    if points is not None:
        report.operating_points = operating_points_json(points)
    return report, points


def _in_process(
    index: Path | None, questions: list[EvalQuestion], fit_to: Path | None, fit_also: list[str]
) -> QAPipeline:
    """The pipeline of an index loaded here, its abstention model fitted first when asked."""
    from service.api.app import default_reader, load_pipeline
    from service.qa.abstention import AbstentionModel

    cfg = settings_from(index_dir=index)
    # Fitting must not depend on the current model file, which may predate a new signal.
    placeholder = AbstentionModel.unfitted() if fit_to is not None else None
    pipeline = load_pipeline(cfg, default_embedder(cfg), placeholder, default_reader(cfg))
    if fit_to is not None:
        pipeline.abstention = _fit(pipeline, questions, fit_also, fit_to)
    return pipeline


def _sweep(pipeline: QAPipeline, questions: list[EvalQuestion]) -> list[OperatingPoint]:
    """Every threshold's operating point, from one run that answers whatever has a candidate
    (threshold 0: confidences are probabilities)."""
    shipped = pipeline.abstention
    pipeline.abstention = replace(shipped, threshold=0.0)
    try:
        outcomes = run(questions, in_process_asker(pipeline))
    finally:
        pipeline.abstention = shipped
    return operating_points(
        [
            Judged(
                answerable=o.question.answerable,
                right=o.question.answerable and o.response.answer is not None and o.correct,
                confidence=None if o.response.answer is None else o.response.confidence,
            )
            for o in outcomes
        ]
    )


def _fit(pipeline: QAPipeline, questions: list[EvalQuestion], also: list[str], out: Path) -> AbstentionModel:
    """Fit on this knowledge base's questions and each DATASET:INDEX of `also`; write the model."""
    from service.api.app import load_pipeline
    from service.qa.abstention import Signals, fit

    signals: list[Signals] = [pipeline.ask(q.question, 5).selection.signals for q in questions]
    labels = [q.answerable for q in questions]
    for pair in also:
        extra_path, _, extra_index = pair.rpartition(":")
        extra = load_pipeline(
            settings_from(index_dir=Path(extra_index)),
            pipeline.embedder,
            pipeline.abstention,
            pipeline.reader,
        )
        extra_questions = load_dataset(Path(extra_path))
        signals += [extra.ask(q.question, 5).selection.signals for q in extra_questions]
        labels += [q.answerable for q in extra_questions]
    model = fit(signals, labels)
    out.write_text(model.to_json() + "\n", encoding="utf-8")
    typer.echo(f"fitted abstention model written to {out} (threshold {model.threshold:.3f})")
    return model
