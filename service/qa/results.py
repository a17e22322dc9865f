"""The domain results of the query path. The HTTP layer and the CLI map them to their own
formats (response models, text); nothing here knows about either."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.chunking import Candidate
from service.qa.abstention import Signals
from service.qa.display import Shown


@dataclass(frozen=True)
class Passage:
    """A retrieved passage: where it is and what it says, verbatim."""

    doc_id: str
    title: str
    section: tuple[str, ...]
    start: int
    end: int
    excerpt: str  # document text[start:end]
    score: float
    # How a person reads the excerpt (with the answer located in it), and the document's metadata.
    display: Shown | None = None
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    """The chosen span and the signals the abstention model reads; `reason` says why there is
    no span when the cause is known (the document does not name its author)."""

    candidate: Candidate | None
    signals: Signals
    reason: str | None = None


@dataclass(frozen=True)
class Answer:
    """An answer (a verbatim span of `passages[0]`) or a reasoned refusal, with the passages."""

    question: str
    text: str | None
    span: tuple[int, int] | None  # document offsets of `text`, inside passages[0]
    confidence: float
    reason: str | None
    passages: list[Passage]
    selection: Selection
    display: Shown | None = None  # how a person reads `text`
    threshold: float | None = None  # the confidence below which the question is declined
