"""`kbqa eval-suite` (`make eval-all`): every eval set of the committed baseline in one command —
each knowledge base (re)indexed into the folder `make run CORPUS=` would use, its questions run in
process, one table with the change against eval/baseline.json, a JSON report per set. Exit 1
when a set regressed by more than the tolerance, as the test suite would fail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.dataset import load_dataset
from eval.runner import Report, in_process_asker, measure, run, write_outputs
from service.cli import settings_from

BASELINE = Path("eval/baseline.json")
TOLERANCE = 0.02  # one or two questions of slack for numerical noise across machines
# (measure, higher is better): what a regression is judged on.
JUDGED = (
    ("answer_accuracy", True),
    ("recall_at_5", True),
    ("abstention_accuracy", True),
    ("false_abstentions", False),
)


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus: Path
    dataset: Path
    expected: dict[str, float]


def load_baseline(path: Path) -> list[EvalSet]:
    raw: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [
        EvalSet(
            name,
            Path(entry["corpus"]),
            Path(entry["dataset"]),
            {k: float(v) for k, v in entry.items() if k not in ("corpus", "dataset")},
        )
        for name, entry in sorted(raw.items())
    ]


def regressions(measured: dict[str, float], expected: dict[str, float], tolerance: float) -> list[str]:
    """The judged measures that are worse than the baseline by more than `tolerance`."""
    worse = []
    for name, higher_is_better in JUDGED:
        delta = measured[name] - expected[name]
        if (delta if higher_is_better else -delta) < -tolerance - 1e-9:
            worse.append(name)
    return worse


def table(rows: list[tuple[str, Report, dict[str, float]]]) -> str:
    """One line per set: each judged measure with its change against the baseline."""
    header = f"{'set':<12} {'n':>4}  " + "  ".join(f"{n:<24}" for n, _ in JUDGED) + "  median words"
    lines = [header]
    for name, report, expected in rows:
        measured = vars(report)
        cells = [f"{measured[n]:.3f} ({_change(measured[n], expected[n])})".ljust(24) for n, _ in JUDGED]
        lines.append(f"{name:<12} {report.n:>4}  " + "  ".join(cells) + f"  {report.median_answer_words:.1f}")
    return "\n".join(lines)


def _change(measured: float, expected: float) -> str:
    delta = round(measured - expected, 3)
    return f"{delta if delta else 0.0:+.3f}"  # never "-0.000"


def eval_suite(
    baseline: Annotated[
        Path, typer.Option(help="The committed baseline: which sets, and their figures.")
    ] = BASELINE,
    out_dir: Annotated[Path, typer.Option(help="Where each set's JSON report goes.")] = Path("eval/results"),
    tolerance: Annotated[float, typer.Option(help="Allowed drop of each judged measure.")] = TOLERANCE,
) -> None:
    """Index and evaluate every eval set of the baseline; print one table; exit 1 on a regression."""
    from eval.cli import default_embedder
    from indexer.build import build_index
    from indexer.embedding import SentenceTransformerEmbedder
    from service.api.app import default_reader, load_pipeline
    from service.corpus_index import index_dir_for

    sets = load_baseline(baseline)
    cfg = settings_from()
    documents, questions_encoder = SentenceTransformerEmbedder(cfg.model), default_embedder(cfg)
    reader = default_reader(cfg)
    rows, failed = [], []
    for s in sets:
        index_dir = index_dir_for(s.corpus)
        typer.echo(f"{s.name}: indexing {s.corpus} into {index_dir}", err=True)
        # Always rebuilt (unchanged texts keep their vectors): staleness cannot see indexer changes.
        build_index(s.corpus, index_dir, documents)
        pipeline = load_pipeline(settings_from(index_dir=index_dir), questions_encoder, None, reader)
        report = measure(run(load_dataset(s.dataset), in_process_asker(pipeline)))
        write_outputs(report, out_dir / f"{s.name}.json")
        rows.append((s.name, report, s.expected))
        failed += [f"{s.name}: {m}" for m in regressions(vars(report), s.expected, tolerance)]
    typer.echo(table(rows))
    typer.echo(f"\nreports: {out_dir}/<set>.json")
    if failed:
        typer.secho(
            f"worse than the baseline by more than {tolerance}: {'; '.join(failed)}", fg="red", err=True
        )
        raise typer.Exit(1)
