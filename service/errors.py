"""Typed domain errors of the service; the HTTP app and the CLI translate them at the edge."""

from indexer.errors import KbqaError


class DocumentNotFound(KbqaError):
    def __init__(self, doc_id: str) -> None:
        super().__init__(f"no document with id {doc_id!r}")
        self.doc_id = doc_id


class AbstentionModelError(KbqaError):
    """The abstention model file is missing, unreadable, or fitted for other signals."""
