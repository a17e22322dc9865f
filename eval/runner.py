"""Run an eval question set against the service (in-process or over HTTP) and measure it."""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.dataset import EvalQuestion
from eval.measures import (
    abstention_accuracy,
    answer_accuracy,
    false_abstention_rate,
    first_relevant_rank,
    matches_evidence,
    mrr,
    recall_at,
    wilson_interval,
)
from eval.measures.operating_points import OperatingPoint, meeting
from indexer.text import word_count
from service.api.models import AskResponse, ask_response, elapsed_ms
from service.qa.pipeline import QAPipeline

Asker = Callable[[str], AskResponse]


@dataclass(frozen=True)
class Outcome:
    question: EvalQuestion
    response: AskResponse
    rank: int | None  # first relevant citation, answerable questions only
    correct: bool

    @property
    def label(self) -> str:
        """What happened, in one word a baseline can keep per question: an answerable question
        was answered "right", "wrong" or "declined"; an unanswerable one "declined" or "answered"."""
        declined = self.response.answer is None
        if not self.question.answerable:
            return "declined" if declined else "answered"
        return "declined" if declined else "right" if self.correct else "wrong"


# What should happen to a question, as its Outcome.label: by whether it is answerable.
EXPECTED_LABEL = {True: "right", False: "declined"}
# The rates given with a 95% interval, each as (label it counts, among answerable questions?).
INTERVALS = {
    "answer_accuracy": ("right", True),
    "abstention_accuracy": ("declined", False),
    "false_abstentions": ("declined", True),
}


@dataclass
class Report:
    n: int
    answerable: int
    unanswerable: int
    answer_accuracy: float
    recall_at_1: float
    recall_at_3: float
    recall_at_5: float
    mrr: float
    abstention_accuracy: float
    false_abstentions: float
    median_answer_words: float
    latency_p50_ms: float
    latency_p95_ms: float
    by_kind: dict[str, float] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    # The weights, depths and threshold that produced these figures (in-process runs only).
    tuning: dict[str, Any] | None = None
    # 95% Wilson intervals of the INTERVALS rates, (low, high): how much a figure can be trusted.
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    # `kbqa eval --operating-points`: as operating_points_json writes them.
    operating_points: list[dict[str, float | None]] | None = None
    # Per question id, Outcome.label: what a later run is compared with question by question.
    outcomes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    def below(
        self, *, min_accuracy: float, min_recall5: float, min_abstention: float, max_false_abstentions: float
    ) -> list[str]:
        """The measures on the wrong side of their thresholds."""
        checks = (
            ("answer accuracy", self.answer_accuracy < min_accuracy),
            ("recall@5", self.recall_at_5 < min_recall5),
            ("abstention accuracy", self.abstention_accuracy < min_abstention),
            ("false abstentions", self.false_abstentions > max_false_abstentions),
        )
        return [name for name, bad in checks if bad]

    def table(self) -> str:
        rows = [
            ("questions (answerable / unanswerable)", f"{self.n} ({self.answerable} / {self.unanswerable})"),
            ("answer accuracy", f"{self.answer_accuracy:.3f}{self._interval('answer_accuracy')}"),
            (
                "recall@1 / @3 / @5",
                f"{self.recall_at_1:.3f} / {self.recall_at_3:.3f} / {self.recall_at_5:.3f}",
            ),
            ("MRR", f"{self.mrr:.3f}"),
            ("abstention accuracy", f"{self.abstention_accuracy:.3f}{self._interval('abstention_accuracy')}"),
            ("false abstentions", f"{self.false_abstentions:.3f}{self._interval('false_abstentions')}"),
            ("median answer length (words)", f"{self.median_answer_words:.1f}"),
            ("latency p50 / p95 (ms)", f"{self.latency_p50_ms:.1f} / {self.latency_p95_ms:.1f}"),
        ]
        rows += [(f"  accuracy, kind={k}", f"{v:.3f}") for k, v in sorted(self.by_kind.items())]
        if self.tuning is not None:
            rows += [(f"tuning: {k}", json.dumps(v)) for k, v in self.tuning.items()]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)

    def _interval(self, name: str) -> str:
        if name not in self.intervals:
            return ""
        low, high = self.intervals[name]
        return f"  (95% interval {low:.3f}-{high:.3f})"


def operating_points_json(points: Sequence[OperatingPoint]) -> list[dict[str, float | None]]:
    """The points as the report keeps them: the decline-everything point's infinite threshold as
    null, since JSON has no infinity (Python would write a bare `Infinity` other parsers refuse)."""
    return [{**asdict(p), "threshold": None if math.isinf(p.threshold) else p.threshold} for p in points]


def operating_points_table(
    ops: Sequence[OperatingPoint], tuning: dict[str, Any] | None, targets: tuple[float, float, float]
) -> str:
    """The trade-off every 0.05 of threshold, the best answer accuracy any threshold gives, and
    where the targets (min answer accuracy, min abstention, max false abstentions) are met."""
    shipped = (tuning or {}).get("abstention_threshold")
    lines = [
        "operating points (declined below the threshold"
        + (f"; this run's threshold {shipped:.3f}):" if shipped is not None else "):"),
        "threshold  answer accuracy  abstention  false abstentions",
    ]
    for step in range(21):
        at = next(p for p in ops if p.threshold >= step / 20)  # outcomes change only at a point
        lines.append(
            f"{step / 20:9.2f}  {at.answer_accuracy:15.3f}  {at.abstention_accuracy:10.3f}"
            f"  {at.false_abstentions:17.3f}"
        )
    lines.append(f"best answer accuracy at any threshold: {max(p.answer_accuracy for p in ops):.3f}")
    met = meeting(ops, *targets)
    where = "no threshold"
    if met:
        where = f"{len(met)} thresholds from {met[0].threshold:.3f} to {met[-1].threshold:.3f}"
    lines.append(
        f"targets (answer accuracy >= {targets[0]}, abstention >= {targets[1]}, "
        f"false abstentions <= {targets[2]}): met at {where}"
    )
    return "\n".join(lines)


def in_process_asker(pipeline: QAPipeline, top_k: int = 5) -> Asker:
    """Ask the pipeline directly, timed and mapped the way the HTTP API does."""

    def ask(question: str) -> AskResponse:
        started = time.perf_counter()
        return ask_response(pipeline.ask(question, top_k), elapsed_ms(started))

    return ask


def run(questions: Sequence[EvalQuestion], ask: Asker) -> list[Outcome]:
    outcomes = []
    for q in questions:
        response = ask(q.question)
        rank = None
        correct = response.answer is None
        if q.answerable and q.source is not None:
            cited = [(c.doc_id, c.excerpt) for c in response.citations]
            rank = first_relevant_rank(cited, q.evidence)
            correct = matches_evidence(response.answer, q.evidence)
        outcomes.append(Outcome(q, response, rank, correct))
    return outcomes


def _percentile(values: list[float], pct: float) -> float:
    return float(np.percentile(values, pct)) if values else 0.0


def measure(outcomes: Sequence[Outcome], tuning: dict[str, Any] | None = None) -> Report:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    ranks = [o.rank for o in answerable]
    answers = [o.response.answer for o in answerable]
    lengths = [word_count(o.response.answer) for o in outcomes if o.response.answer]
    latencies = [o.response.took_ms for o in outcomes]
    kinds: dict[str, list[bool]] = {}
    for o in outcomes:
        kinds.setdefault(o.question.kind, []).append(o.correct)
    failures = [
        {
            "id": o.question.id,
            "question": o.question.question,
            "answerable": o.question.answerable,
            "answer": o.response.answer,
            "confidence": o.response.confidence,
            "rank": o.rank,
            "expected": o.question.evidence[:1],
        }
        for o in outcomes
        if not o.correct or (o.question.answerable and (o.rank is None or o.rank > 1))
    ]
    return Report(
        n=len(outcomes),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answer_accuracy=answer_accuracy(answers, [o.question.evidence for o in answerable]),
        recall_at_1=recall_at(ranks, 1),
        recall_at_3=recall_at(ranks, 3),
        recall_at_5=recall_at(ranks, 5),
        mrr=mrr(ranks),
        abstention_accuracy=abstention_accuracy([o.response.answer for o in unanswerable]),
        false_abstentions=false_abstention_rate(answers),
        median_answer_words=float(statistics.median(lengths)) if lengths else 0.0,
        latency_p50_ms=_percentile(latencies, 50),
        latency_p95_ms=_percentile(latencies, 95),
        by_kind={k: sum(v) / len(v) for k, v in kinds.items()},
        failures=failures,
        tuning=tuning,
        intervals=intervals(outcomes),
        outcomes={o.question.id: o.label for o in outcomes},
    )


def intervals(outcomes: Sequence[Outcome]) -> dict[str, tuple[float, float]]:
    """The 95% Wilson interval of each INTERVALS rate over the outcomes."""
    out = {}
    for name, (label, among_answerable) in INTERVALS.items():
        group = [o for o in outcomes if o.question.answerable == among_answerable]
        out[name] = wilson_interval(sum(o.label == label for o in group), len(group))
    return out


def write_outputs(report: Report, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.to_json(), encoding="utf-8")
