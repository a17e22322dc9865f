"""Every weight and depth of the query path in one typed object: `kbqa eval` prints it and
records it in its JSON report, so a figure always comes with the settings that produced it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from service.qa.features import DEFAULT_WEIGHTS, FEATURE_NAMES
from service.qa.retrieval import FusionWeights


@dataclass(frozen=True)
class Tuning:
    fusion: FusionWeights = FusionWeights()
    answer: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    search_depth: int = 50  # passages taken from each of dense and BM25 search before fusion
    answer_passages: int = 4  # top passages whose spans compete for the answer

    def __post_init__(self) -> None:
        if set(self.answer) != set(FEATURE_NAMES):
            raise ValueError(f"answer weights must name exactly the features {list(FEATURE_NAMES)}")

    def to_json(self) -> dict[str, Any]:
        return {
            "fusion": asdict(self.fusion),
            "answer": dict(self.answer),
            "search_depth": self.search_depth,
            "answer_passages": self.answer_passages,
        }
