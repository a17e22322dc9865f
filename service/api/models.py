"""The one schema of every concept the API, the CLI and the eval share, and the mapping of the
query path's domain results onto it."""

from __future__ import annotations

import re
import time
from typing import Any

from pydantic import BaseModel, Field, field_validator

from service.config import QueryLimits
from service.qa.results import Answer, Passage

# Some character that is neither whitespace nor a control character. The one rule for "empty",
# both checked here and published as the JSON Schema pattern (a search, not a full match); spelled
# so that Python's and ECMAScript's regex dialects read it as the same set of characters.
NOT_BLANK = r"[^\s\u0000-\u001f\u007f-\u009f\ufeff]"


def text_problem(value: str, field: str) -> str | None:
    """Why a question or query cannot be looked up, or None. JSON can carry a lone surrogate
    ("\\ud800"), which is no character: no tokenizer can read it."""
    if re.search(NOT_BLANK, value) is None:
        return f"{field} must not be empty or whitespace"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"{field} is not valid Unicode text (a lone surrogate at position {exc.start})"
    return None


class AskRequestBase(BaseModel):
    """What every /ask body must satisfy; `ask_request_model` adds the configured limits."""

    question: str
    top_k: int

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
    def _readable(cls, value: str) -> str:
        if (message := text_problem(value, "question")) is not None:
            raise ValueError(message)
        return value


def too_long(text: str, limit: int, field: str = "question") -> str | None:
    """The message for a text over the length limit, or None."""
    return f"{field} is {len(text)} characters; the limit is {limit}" if len(text) > limit else None


def ask_request_model(limits: QueryLimits) -> type[AskRequestBase]:
    """The /ask body with the configured limits, stated in its schema and enforced with messages
    that say what is wrong."""

    class AskRequest(AskRequestBase):
        question: str = Field(
            ...,
            description=f"A question in natural language; at most {limits.max_question_chars} characters.",
            examples=["who outranks the COO?"],
            json_schema_extra={"minLength": 1, "maxLength": limits.max_question_chars, "pattern": NOT_BLANK},
        )
        top_k: int = Field(
            limits.default_top_k,
            ge=1,
            le=limits.max_top_k,
            strict=True,
            description=f"How many passages to cite (1-{limits.max_top_k}).",
        )

        @field_validator("question")
        @classmethod
        def _within_limit(cls, value: str) -> str:
            if (message := too_long(value, limits.max_question_chars)) is not None:
                raise ValueError(message)
            return value

    return AskRequest


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
    display: str = Field(
        "", description="The excerpt as a person reads it (no Markdown syntax; table rows as pairs)."
    )
    display_highlight: tuple[int, int] | None = Field(
        None, description="Where the answer sits inside `display` (what `highlight` is to `excerpt`)."
    )
    rows: list[list[tuple[str, str]]] = Field(
        default_factory=list, description="Table rows in the excerpt, as [column, value] pairs."
    )
    url: str | None = Field(None, description="The original page of the document, when known.")
    owner: str | None = None
    updated: str | None = None
    format: str | None = Field(None, description="The document's source format (md, txt, html, pdf, docx).")
    source_path: str | None = Field(None, description="The document's file, relative to the corpus folder.")


class AskResponse(BaseModel):
    question: str
    answer: str | None = Field(
        description="A verbatim span of the first citation, or null when not answered."
    )
    display: str | None = Field(None, description="The answer as a person reads it.")
    rows: list[list[tuple[str, str]]] = Field(
        default_factory=list, description="The answer's table rows, as [column, value] pairs."
    )
    confidence: float = Field(ge=0.0, le=1.0)
    threshold: float | None = Field(None, description="Questions below this confidence are declined.")
    reason: str | None = Field(
        None, description="Why there is no answer, when `answer` is null, in words for the asker."
    )
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


# Document metadata a citation carries when the document has it.
CITED_META = ("url", "owner", "updated", "format", "source_path")


def citation(passage: Passage, answer_span: tuple[int, int] | None = None) -> Citation:
    """A passage as the API cites it; `answer_span` (document offsets) becomes its highlight."""
    highlight = (
        None if answer_span is None else (answer_span[0] - passage.start, answer_span[1] - passage.start)
    )
    shown = passage.display
    meta = {k: v for k in CITED_META if (v := passage.meta.get(k))}
    return Citation(
        display=shown.text if shown is not None else passage.excerpt,
        display_highlight=shown.highlight if shown is not None and highlight is not None else None,
        rows=[list(row) for row in shown.rows] if shown is not None else [],
        **meta,
        doc_id=passage.doc_id,
        title=passage.title,
        section=" > ".join(passage.section),
        excerpt=passage.excerpt,
        start=passage.start,
        end=passage.end,
        highlight=highlight,
        score=round(passage.score, 4),
    )


def ask_response(answer: Answer, took_ms: float) -> AskResponse:
    citations = [citation(p) for p in answer.passages]
    if answer.span is not None and citations:
        citations[0] = citation(answer.passages[0], answer.span)
    shown = answer.display
    return AskResponse(
        question=answer.question,
        answer=answer.text,
        display=shown.text if shown is not None else answer.text,
        rows=[list(row) for row in shown.rows] if shown is not None else [],
        confidence=round(answer.confidence, 4),
        threshold=None if answer.threshold is None else round(answer.threshold, 4),
        reason=answer.reason,
        citations=citations,
        took_ms=took_ms,
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since a `time.perf_counter()` reading: timing is the edge's business."""
    return round((time.perf_counter() - started) * 1000, 2)
