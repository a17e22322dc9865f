"""The fitted combination used when a reranker serves: how deep it reads, how its logit is
weighed with the other span features, and the abstention model that includes its probability.
Fitted on SQuAD articles indexed as a knowledge base (`training/combination.py`, `make fit`),
never on the eval sets; shipped as service/qa/answer_model.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import AbstentionModelError
from service.qa.abstention import SIGNAL_NAMES, AbstentionModel
from service.qa.features import FEATURE_NAMES, READER_FEATURE

DEFAULT_ANSWER_MODEL_PATH = Path(__file__).with_name("answer_model.json")


@dataclass(frozen=True)
class AnswerModel:
    depth: int  # candidates the reranker reads, the best by the hand-set score
    weights: dict[str, float]  # span features by name, the reranker's logit among them
    abstention: AbstentionModel
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "depth": self.depth,
                "weights": self.weights,
                "abstention": json.loads(self.abstention.to_json()),
                "provenance": self.provenance,
            },
            indent=2,
        )

    @classmethod
    def from_file(cls, path: Path = DEFAULT_ANSWER_MODEL_PATH) -> AnswerModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = {str(k): float(v) for k, v in data["weights"].items()}
            a = data["abstention"]
            abstention = AbstentionModel(
                {str(k): float(v) for k, v in a["weights"].items()}, float(a["bias"]), float(a["threshold"])
            )
            model = cls(int(data["depth"]), weights, abstention, dict(data.get("provenance", {})))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AbstentionModelError(f"cannot read the answer model {path.name}: {exc}") from exc
        expected = {*FEATURE_NAMES, READER_FEATURE}
        if set(weights) != expected or set(abstention.weights) != set(SIGNAL_NAMES) or model.depth < 1:
            raise AbstentionModelError(
                f"{path.name} does not fit this version's features and signals; refit it with `make fit`"
            )
        return model

    def check_reader(self, identity: str) -> None:
        """Refuse to weigh another reranker's logits: they are on that model's own scale, so the
        weights and the abstention threshold fitted for this one would be silently wrong. An
        answer model that names no reranker (fitted before they were recorded) is taken as is."""
        fitted_for = self.provenance.get("reranker")
        if fitted_for is not None and fitted_for != identity:
            raise AbstentionModelError(
                f"the answer model was fitted for the reranker {fitted_for}, not for the one configured"
                f" ({identity}); fit one for it (`make fit RERANKER=... ANSWER_MODEL=...`)"
                " and set KBQA_ANSWER_MODEL to it"
            )
