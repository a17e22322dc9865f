"""Whether the knowledge base answers a question, as a confidence in [0, 1].

Several weak signals, combined by a logistic model fitted on the eval set (`kbqa eval --fit`):
how well the best span and passage match (dense), how much of the question's IDF-weighted
vocabulary the best span's passage contains, how much of it the corpus knows at all (a word it
lacks counts as known when the best span measurably says it in other words), the
margin to the runner-up passage, and whether dense and lexical search agree on the best passage
(an off-topic question tends to scatter them). A question is answered when confidence >= threshold.
Whether the rarest question term is missing from the answer's passage was a signal too: almost
every question lacks some rare term there, and leaving it out did better on the held-out
knowledge base (eval/format_kb: false abstentions 0.22 -> 0.19)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from service.answer import quantity_fit
from service.errors import AbstentionModelError

FEATURES = (
    "span_similarity",
    "passage_dense",
    "span_coverage",
    "corpus_coverage",
    "passage_margin",
    "type_mismatch",
    "rankings_agree",
    "bias",
)


@dataclass(frozen=True)
class Signals:
    span_similarity: float
    passage_dense: float
    span_coverage: float
    corpus_coverage: float
    passage_margin: float
    type_mismatch: float = 0.0  # 1 when the question asks for a number or date and the span has none
    rankings_agree: float = 0.0  # 1 when dense and lexical search put the same passage first

    def vector(self) -> np.ndarray:
        return np.array([*asdict(self).values(), 1.0], dtype=np.float64)


@dataclass(frozen=True)
class AbstentionModel:
    weights: tuple[float, ...]
    threshold: float = 0.5

    def confidence(self, signals: Signals) -> float:
        z = float(np.dot(np.asarray(self.weights), signals.vector()))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    @classmethod
    def unfitted(cls) -> AbstentionModel:
        """A placeholder (confidence 0.5 for everything) to compute signals with before fitting."""
        return cls(tuple(0.0 for _ in FEATURES))

    def to_json(self) -> str:
        return json.dumps(
            {"features": FEATURES, "weights": list(self.weights), "threshold": self.threshold}, indent=2
        )

    @classmethod
    def from_file(cls, path: Path) -> AbstentionModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            features = tuple(data.get("features", ()))
            weights = tuple(float(w) for w in data["weights"])
            threshold = float(data["threshold"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AbstentionModelError(f"cannot read the abstention model {path}: {exc}") from exc
        if features != FEATURES or len(weights) != len(FEATURES):
            raise AbstentionModelError(
                f"{path} was fitted for the signals {list(features)}, this version computes "
                f"{list(FEATURES)}; refit it with `make fit` (or `kbqa eval --fit`)"
            )
        return cls(weights, threshold)


def type_mismatch(question: str, span: str) -> float:
    """A "how many / how much / when was" question is not answered by a span without that kind
    of quantity ("what does it cost" wants money). A number of something else than was asked
    for still counts here: "eight sales managers" may well answer "how many people"."""
    return float(quantity_fit(question, span) == 0.0)


DEFAULT_MODEL_PATH = Path(__file__).with_name("abstention.json")
# How much the chosen span's similarity to the question must drop when a word the corpus lacks
# is left out of the question for that word to count as known to the corpus (corpus_coverage):
# the span then says it in other words. Below it, the word is noise to the span or absent from it.
PARAPHRASE_GAIN = 0.02


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 50) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (the bias column is not penalised)."""
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg) + 1e-9 * np.eye(x.shape[1])
        w -= np.linalg.solve(hess, grad)
    return w


def pick_threshold(conf: np.ndarray, answerable: np.ndarray, max_false_abstention: float = 0.05) -> float:
    """The highest threshold that wrongly declines at most `max_false_abstention` of answerable
    questions: declining real questions costs users more than answering an odd one."""
    answerable_conf = np.sort(conf[answerable.astype(bool)])
    if answerable_conf.size == 0:
        return 0.5
    allowed = int(math.floor(max_false_abstention * answerable_conf.size))
    return float(answerable_conf[allowed]) - 1e-6
