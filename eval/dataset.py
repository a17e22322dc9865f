"""The eval question format: one JSON object per line with the question, whether the knowledge
base answers it, and verbatim evidence spans from the source file."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

DEFAULT_DATASET = Path(__file__).with_name("questions.jsonl")


class EvalQuestion(BaseModel):
    id: str
    question: str = Field(min_length=1)
    answerable: bool
    evidence: list[str]
    source: str | None
    kind: str

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _consistent(self) -> EvalQuestion:
        if self.answerable and (not self.evidence or not self.source):
            raise ValueError(f"{self.id}: an answerable question needs evidence and a source")
        if not self.answerable and (self.evidence or self.source):
            raise ValueError(f"{self.id}: an unanswerable question has no evidence and no source")
        return self


def load_dataset(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                questions.append(EvalQuestion.model_validate(json.loads(line)))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return questions
