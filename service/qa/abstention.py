"""Abstention, the last stage of the query path: whether the knowledge base answers a question,
as a confidence in [0, 1].

Several weak signals, combined by a logistic model fitted on held-out SQuAD articles indexed as
a knowledge base (`make fit`, training/combination.py; never on the eval sets): how well the best
span and passage match (dense), how much of the question's IDF-weighted vocabulary the best
span's passage contains, how much of it the corpus knows at all (a word it lacks counts as known
when the best span measurably says it in other words), the margin to the runner-up passage,
whether a quantity question got a quantity, whether dense and lexical search agree on the best
passage (an off-topic question tends to scatter them), and with a reranker its logit for
the chosen span. A question is answered when confidence >= threshold. Whether the rarest question term is
missing from the answer's passage was a signal too: almost every question lacks some rare term
there, and leaving it out did better on the held-out knowledge base (eval/format_kb: false
abstentions 0.22 -> 0.19)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from service.errors import AbstentionModelError

DEFAULT_MODEL_PATH = Path(__file__).with_name("abstention.json")
# L2 strength of the fit (sklearn's C = 1 / L2_STRENGTH): 0.01-3 gave the same held-out results.
L2_STRENGTH = 0.1
# The reranker's logit, not its probability, is the signal: the logistic model is linear in its
# inputs, and a probability squeezes everything the reranker finds unlikely (logits -8 to -2,
# probabilities 0.0003 to 0.12) next to 0, where the fit cannot tell those apart. Measured on the
# fit's SQuAD questions (3-fold by article): AUC 0.955 against 0.942; at the threshold, 6.3% false
# abstentions against 6.8%, and 7.8% of the off-topic questions answered against 10.4%. Logits
# beyond +-8 are certainties either way; the clip keeps one extreme logit from outweighing every
# other signal.
READER_LOGIT_CLIP = 8.0
# Declining a real question costs a user more than answering an odd one: the threshold is the
# highest that declines at most this share of the answerable questions it was fitted on.
MAX_FALSE_ABSTENTION = 0.05


@dataclass(frozen=True)
class Signals:
    span_similarity: float  # cosine(question, chosen span)
    passage_dense: float  # cosine(question, best passage)
    span_coverage: float  # IDF-weighted share of the question's terms around the chosen span
    corpus_coverage: float  # ... that the corpus knows at all (or the span paraphrases)
    passage_margin: float  # fused score of the best passage minus the runner-up's
    type_mismatch: float = 0.0  # 1 when the question asks for a number or date and the span has none
    rankings_agree: float = 0.0  # 1 when dense and lexical search put the same passage first
    # The reranker's logit for the chosen span, clipped to +-READER_LOGIT_CLIP (0 without a reranker).
    reader_logit: float = 0.0

    def vector(self) -> np.ndarray:
        return np.array(list(asdict(self).values()), dtype=np.float64)


SIGNAL_NAMES = tuple(f.name for f in fields(Signals))


@dataclass(frozen=True)
class AbstentionModel:
    weights: dict[str, float]  # by signal name
    bias: float = 0.0
    threshold: float = 0.5

    def confidence(self, signals: Signals) -> float:
        values = asdict(signals)
        z = self.bias + sum(w * values[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def answers(self, confidence: float) -> bool:
        return confidence >= self.threshold

    @classmethod
    def unfitted(cls) -> AbstentionModel:
        """A placeholder (confidence 0.5 for everything) to compute signals with before fitting."""
        return cls(dict.fromkeys(SIGNAL_NAMES, 0.0))

    def to_json(self) -> str:
        return json.dumps({"weights": self.weights, "bias": self.bias, "threshold": self.threshold}, indent=2)

    @classmethod
    def from_file(cls, path: Path) -> AbstentionModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            bias, threshold = float(data["bias"]), float(data["threshold"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AbstentionModelError(f"cannot read the abstention model {path.name}: {exc}") from exc
        if sorted(weights) != sorted(SIGNAL_NAMES):
            raise AbstentionModelError(
                f"{path.name} was fitted for the signals {sorted(weights)}, this version computes "
                f"{sorted(SIGNAL_NAMES)}; refit it with `make fit` (or `kbqa eval --fit`)"
            )
        return cls(weights, bias, threshold)


def fit(signals: Sequence[Signals], answerable: Sequence[bool]) -> AbstentionModel:
    """Fit the logistic confidence on (signals, answerable) pairs and choose its threshold."""
    from sklearn.linear_model import LogisticRegression  # only fitting needs it

    x = np.stack([s.vector() for s in signals])
    y = np.asarray(answerable, dtype=np.float64)
    model = LogisticRegression(C=1.0 / L2_STRENGTH, max_iter=1000).fit(x, y)
    weights = {name: float(w) for name, w in zip(SIGNAL_NAMES, model.coef_[0], strict=True)}
    provisional = AbstentionModel(weights, float(model.intercept_[0]))
    confidence = np.array([provisional.confidence(s) for s in signals])
    return AbstentionModel(weights, provisional.bias, pick_threshold(confidence, y))


def pick_threshold(
    conf: np.ndarray, answerable: np.ndarray, max_false_abstention: float = MAX_FALSE_ABSTENTION
) -> float:
    """The highest threshold that wrongly declines at most `max_false_abstention` of answerable
    questions."""
    answerable_conf = np.sort(conf[answerable.astype(bool)])
    if answerable_conf.size == 0:
        return 0.5
    allowed = int(math.floor(max_false_abstention * answerable_conf.size))
    # Just below the lowest confidence that must still be answered.
    return float(answerable_conf[allowed]) - 1e-6
