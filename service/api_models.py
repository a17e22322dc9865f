"""The one schema of every concept the API, the CLI and the eval share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

MAX_TOP_K = 20


class AskRequest(BaseModel):
    question: str = Field(
        ..., description="A question in natural language.", examples=["who outranks the COO?"]
    )
    top_k: int = Field(
        5, ge=1, le=MAX_TOP_K, strict=True, description=f"How many passages to cite (1-{MAX_TOP_K})."
    )

    model_config = {"extra": "forbid"}

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
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
