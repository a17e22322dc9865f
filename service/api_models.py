"""The one schema of every concept the API, the CLI and the eval share."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

MAX_TOP_K = 20
# Some character that is neither whitespace nor a control character. The one rule for "empty",
# both checked here and published as the JSON Schema pattern (a search, not a full match); spelled
# so that Python's and ECMAScript's regex dialects read it as the same set of characters.
NOT_BLANK = r"[^\s\u0000-\u001f\u007f-\u009f\ufeff]"


def has_text(value: str) -> bool:
    return re.search(NOT_BLANK, value) is not None


class AskRequest(BaseModel):
    question: str = Field(
        ...,
        description="A question in natural language; at most `max_question_chars` (500 by default).",
        examples=["who outranks the COO?"],
        # Documented for clients; enforced below with messages that say what is wrong.
        json_schema_extra={"minLength": 1, "pattern": NOT_BLANK},
    )
    top_k: int = Field(
        5, ge=1, le=MAX_TOP_K, strict=True, description=f"How many passages to cite (1-{MAX_TOP_K})."
    )

    model_config = {"extra": "forbid"}

    @field_validator("top_k", mode="before")
    @classmethod
    def _integral_number(cls, value: Any) -> Any:
        # JSON has one number type: 5.0 is the integer 5 (as JSON Schema's "integer" says), while
        # "5", true and 5.5 stay wrong types under the strict check that follows.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not has_text(value):
            raise ValueError("question must not be empty or whitespace")
        return value


class Citation(BaseModel):
    doc_id: str
    title: str
    section: str = Field(description="Heading path inside the document, ' > '-joined ('' at top level).")
    excerpt: str = Field(description="Exactly document_text[start:end].")
    start: int
    end: int
    highlight: tuple[int, int] | None = Field(
        None, description="Where the answer sits inside `excerpt` (offsets relative to `start`)."
    )
    score: float


class AskResponse(BaseModel):
    question: str
    answer: str | None = Field(
        description="A verbatim span of the first citation, or null when not answered."
    )
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str | None = Field(None, description="Why there is no answer, when `answer` is null.")
    citations: list[Citation]
    took_ms: float


class SearchResponse(BaseModel):
    query: str
    results: list[Citation]
    took_ms: float


class DocumentResponse(BaseModel):
    doc_id: str
    title: str
    path: str
    meta: dict[str, str]
    text: str


class ReadyResponse(BaseModel):
    status: str
    manifest: dict[str, Any] | None = None
    detail: str | None = None


class ErrorResponse(BaseModel):
    detail: str | list[dict[str, Any]]
