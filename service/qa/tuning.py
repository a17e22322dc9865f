"""Every weight and depth of the query path in one typed object: `kbqa eval` prints it and
records it in its JSON report, so a figure always comes with the settings that produced it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from service.qa.features import DEFAULT_WEIGHTS, FEATURE_NAMES, READER_FEATURE
from service.qa.retrieval import FusionWeights


@dataclass(frozen=True)
class Tuning:
    fusion: FusionWeights = FusionWeights()
    answer: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    search_depth: int = 50  # passages taken from each of dense and BM25 search before fusion
    answer_passages: int = 4  # top passages whose spans compete for the answer
    reader_depth: int = 0  # candidates a reranker reads (0: no reranker; then no `reranker` weight)

    def __post_init__(self) -> None:
        names = {*FEATURE_NAMES, READER_FEATURE} if self.reader_depth else set(FEATURE_NAMES)
        if set(self.answer) != names:
            raise ValueError(f"answer weights must name exactly the features {sorted(names)}")

    def to_json(self) -> dict[str, Any]:
        return {
            "fusion": asdict(self.fusion),
            "answer": dict(self.answer),
            "search_depth": self.search_depth,
            "answer_passages": self.answer_passages,
            "reader_depth": self.reader_depth,
        }
