"""`kbqa eval-suite` (`make eval-all`): every eval set of the committed baseline in one command —
each knowledge base (re)indexed into the folder `make run CORPUS=` would use, its questions run in
process, one table with the change against eval/baseline.json, the questions whose outcome
changed since the baseline, a JSON report per set. Exit 1 when a set regressed by more than the
tolerance, as the test suite would fail. `--update-baseline` writes the run as the new baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.dataset import load_dataset
from eval.runner import EXPECTED_LABEL, Report, in_process_asker, measure, run, write_outputs
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


# The figures a baseline keeps per set, besides its paths and per-question outcomes.
KEPT = ("answer_accuracy", "recall_at_5", "abstention_accuracy", "false_abstentions", "median_answer_words")


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus: Path
    dataset: Path
    expected: dict[str, float]
    outcomes: dict[str, str] = field(default_factory=dict)  # question id -> Outcome.label


def load_baseline(path: Path) -> list[EvalSet]:
    raw: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [
        EvalSet(
            name,
            Path(entry["corpus"]),
            Path(entry["dataset"]),
            {k: float(v) for k, v in entry.items() if k not in ("corpus", "dataset", "outcomes")},
            dict(entry.get("outcomes", {})),
        )
        for name, entry in sorted(raw.items())
    ]


def baseline_entry(eval_set: EvalSet, report: Report) -> dict[str, Any]:
    """What the baseline keeps of a run of one set: its paths, the KEPT figures (3 decimals) and
    every question's outcome."""
    measured = vars(report)
    return {
        "dataset": eval_set.dataset.as_posix(),
        "corpus": eval_set.corpus.as_posix(),
        **{name: round(float(measured[name]), 3) for name in KEPT},
        "outcomes": dict(sorted(report.outcomes.items())),
    }


@dataclass(frozen=True)
class Change:
    question: str
    before: str
    after: str

    @property
    def verdict(self) -> str:
        """ "fixed" when it now does what it should, "broke" when it did and no longer does, else
        "changed" (a wrong answer now declined, or the reverse). Two different labels always tell
        whether the question is answerable: only answerable ones are "right" or "wrong"."""
        answerable = bool({self.before, self.after} & {"right", "wrong"})
        was, now = (label == EXPECTED_LABEL[answerable] for label in (self.before, self.after))
        return "fixed" if now and not was else "broke" if was and not now else "changed"


def changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """The questions of both runs whose outcome differs, by id."""
    return [Change(q, before[q], now) for q, now in sorted(after.items()) if before.get(q, now) != now]


def describe(name: str, found: list[Change]) -> str:
    """One line per set: "other_kb: fixed o024 (wrong -> right); broke -"."""
    parts = []
    for verdict in ("fixed", "broke", "changed"):
        items = [f"{c.question} ({c.before} -> {c.after})" for c in found if c.verdict == verdict]
        if items or verdict != "changed":
            parts.append(f"{verdict} {', '.join(items) or '-'}")
    return f"{name}: " + "; ".join(parts)


def regressions(measured: dict[str, float], expected: dict[str, float], tolerance: float) -> list[str]:
    """The judged measures that are worse than the baseline by more than `tolerance`. A set
    added to the baseline without figures yet has nothing to fall below."""
    worse = []
    for name, higher_is_better in JUDGED:
        if name not in expected:
            continue
        delta = measured[name] - expected[name]
        if (delta if higher_is_better else -delta) < -tolerance - 1e-9:
            worse.append(name)
    return worse


def table(rows: list[tuple[str, Report, dict[str, float]]]) -> str:
    """One line per set: each judged measure with its change against the baseline ("new" for a
    set without figures yet)."""
    width = max([12, *(len(name) for name, _, _ in rows)])
    header = f"{'set':<{width}} {'n':>4}  " + "  ".join(f"{n:<24}" for n, _ in JUDGED) + "  median words"
    lines = [header]
    for name, report, expected in rows:
        measured = vars(report)
        cells = [
            f"{measured[n]:.3f} ({_change(measured[n], expected[n]) if n in expected else 'new'})".ljust(24)
            for n, _ in JUDGED
        ]
        lines.append(
            f"{name:<{width}} {report.n:>4}  " + "  ".join(cells) + f"  {report.median_answer_words:.1f}"
        )
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
    update_baseline: Annotated[
        bool, typer.Option(help="Write this run's figures and outcomes as the new baseline (exit 0).")
    ] = False,
) -> None:
    """Index and evaluate every eval set of the baseline; print one table and the questions whose
    outcome changed; exit 1 on a regression."""
    from eval.cli import default_embedder
    from indexer.build import build_index
    from indexer.embedding import SentenceTransformerEmbedder
    from service.api.app import default_reader, load_pipeline
    from service.corpus_index import index_dir_for

    sets = load_baseline(baseline)
    cfg = settings_from()
    documents, questions_encoder = SentenceTransformerEmbedder(cfg.model), default_embedder(cfg)
    reader = default_reader(cfg)
    rows, failed, changed, entries = [], [], [], {}
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
        if s.outcomes:
            changed.append(describe(s.name, changes(s.outcomes, report.outcomes)))
        entries[s.name] = baseline_entry(s, report)
    typer.echo(table(rows))
    if changed:
        typer.echo("\nquestions whose outcome changed since the baseline:\n" + "\n".join(changed))
    typer.echo(f"\nreports: {out_dir}/<set>.json")
    if update_baseline:
        baseline.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(f"baseline written: {baseline}")
    elif failed:
        typer.secho(
            f"worse than the baseline by more than {tolerance}: {'; '.join(failed)}", fg="red", err=True
        )
        raise typer.Exit(1)
