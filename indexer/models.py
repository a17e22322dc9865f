"""Plain data shared by the indexing pipeline and the service. Offsets are always character
offsets (Python str indices) into the document's original text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class UnitKind(StrEnum):
    """What an answerable atom is: a sentence of prose, a bullet item, or a table row."""

    SENTENCE = "sentence"
    ITEM = "item"
    ROW = "row"


class BlockKind(StrEnum):
    HEADING = "heading"
    QUESTION = "question"  # an FAQ question line; acts as a sub-heading for its answer
    PARAGRAPH = "paragraph"
    LIST = "list"
    TABLE = "table"


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Unit:
    """The smallest answer candidate: a sentence, list item or table row."""

    start: int
    end: int
    kind: UnitKind


@dataclass(frozen=True)
class Block:
    """A structural block of a document. `lead_in` is the paragraph that introduces a list
    ("Key aspects include:"); it stays a block of its own but is carried as context."""

    kind: BlockKind
    start: int
    end: int
    units: tuple[Unit, ...] = ()
    level: int = 0
    heading_path: tuple[str, ...] = ()
    lead_in: Span | None = None


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    title: str
    text: str
    sha256: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def groups(self) -> frozenset[str]:
        """The access groups that may read this document (catalog `groups`); empty: everyone."""
        return frozenset(g.strip() for g in self.meta.get("groups", "").split(",") if g.strip())


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: consecutive units of one section. `context` is the text that
    situates it inside its document (heading path, FAQ question, list lead-in) and is matched against
    questions together with the passage itself."""

    chunk_id: int
    doc_id: str
    section: tuple[str, ...]
    start: int
    end: int
    units: tuple[Unit, ...]
    blocks: tuple[int, ...]  # block id of each unit, same length as units
    context: str
    kind: str
    lead_ins: tuple[tuple[int, int, int], ...] = ()  # (block id, start, end) of lists' lead-in lines
