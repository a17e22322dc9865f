"""The training run's settings (one dataclass: the CLI, the Makefile target and the tests all go
through it) and the run's log line."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_WORK = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kbqa" / "reranker-train"


@dataclass
class TrainConfig:
    """Defaults are the shipped model's settings (`make train-reranker` passes none)."""

    squad: Path
    out: Path
    work: Path = DEFAULT_WORK
    paraphrases: list[Path] = field(default_factory=list)
    structured: Path | None = None  # training/data/structured (pages + questions); None: SQuAD only
    structured_repeat: int = 3
    # Questions with no answer in their group, trained with the pointwise loss only, so the
    # probability says whether anything answers (abstention), not only which candidate does: the
    # pages' near misses (on the page's topic, not said by it; needs `structured`), and this share
    # of the SQuAD training questions shown once more with their paragraph hidden (the candidates
    # are then sentences of other paragraphs, which do not hold the answer).
    near_misses: bool = False
    unanswerable_rate: float = 0.0
    # This share of the SQuAD training questions asked once more about another name or number
    # (training.perturb), with their own paragraph shown: nothing answers, though the answer
    # sentence matches every other word of the question.
    perturbed_rate: float = 0.0
    # This share of the SQuAD training questions shown once more as bare keywords
    # (training.variants.keyword_query: "When did the Roman Empire fall?" -> "roman empire fall"),
    # with the same candidates: search-box users type those, and SQuAD has none.
    keyword_rate: float = 0.0
    # Weight of the auxiliary answer-span loss (training.loss): 0 trains without it.
    span_weight: float = 0.0
    steps: int = 3000
    batch: int = 8
    group: int = 6
    seed: int = 13
    layers: int = 4
    train_from: int = 1
    max_length: int = 96
    lr: float = 1e-4
    head_lr: float = 1e-3
    warmup: float = 0.06
    weight_decay: float = 0.01
    title_rate: float = 0.7
    window_rate: float = 0.2
    pool_articles: int = 150
    retrieved_per_source: int = 8
    val_questions: int = 150
    val_final: int = 500
    val_retrieved: int = 16
    eval_every: int = 1000
    checkpoint_every: int = 50
    threads: int = 2
    resume: bool = False
    progress: bool = True
    max_train_questions: int = 0  # example budget; 0: steps x batch (each example seen about once)
    paraphrase_holdout: int = 200
    paraphrase_repeat: int = 1
    stop_at: int = 0  # stop after this step with a checkpoint and no weights (split a run; tests)

    def settings(self) -> dict[str, Any]:
        """The settings that decide the weights (paths and switches left out)."""
        skip = {
            "squad",
            "out",
            "work",
            "paraphrases",
            "structured",
            "resume",
            "progress",
            "threads",
            "stop_at",
        }
        if self.structured is None:
            skip.add("structured_repeat")
        # Left out at their defaults, so the shipped run keeps its fingerprint.
        if not self.near_misses:
            skip.add("near_misses")
        if not self.unanswerable_rate:
            skip.add("unanswerable_rate")
        if not self.perturbed_rate:
            skip.add("perturbed_rate")
        if not self.span_weight:
            skip.add("span_weight")
        if not self.keyword_rate:
            skip.add("keyword_rate")
        return {k: v for k, v in asdict(self).items() if k not in skip}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
