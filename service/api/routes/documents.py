"""GET /documents/{doc_id}: the text every citation offset points into."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import AudienceDep, PipelineDep
from service.api.models import DocumentResponse, ErrorResponse

router = APIRouter(tags=["documents"])


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentResponse,
    responses={404: {"model": ErrorResponse, "description": "No document with this id"}},
)
def document(doc_id: str, pipeline: PipelineDep, audience: AudienceDep) -> DocumentResponse:
    """The original text that citation offsets point into."""
    doc = pipeline.kb.document(doc_id, audience)
    return DocumentResponse(doc_id=doc.doc_id, title=doc.title, path=doc.path, meta=doc.meta, text=doc.text)
