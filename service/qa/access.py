"""Per-document access: a document may name the groups that can read it (catalog `groups`);
a caller's `Audience` says which groups it is in. Enforced at retrieval, so a caller only ever
gets passages, answers and documents it may read, and no score is computed from the others."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.models import Document


@dataclass(frozen=True)
class Audience:
    groups: frozenset[str] = frozenset()
    everything: bool = False  # an operator, or a key granted "*"

    def may_read(self, doc: Document) -> bool:
        return self.everything or not doc.groups or bool(doc.groups & self.groups)


PUBLIC = Audience()  # documents that name no groups
EVERYONE = Audience(everything=True)  # in-process use: the CLI, the eval, the benchmark


@dataclass(frozen=True, eq=False)
class Scope:
    """Which passages one search may see, in the two forms the stores filter by: a mask over the
    index's passages (FAISS and BM25 in process) and the caller's groups (a remote store filters
    on each passage's `groups` field). Both None: every passage."""

    mask: np.ndarray | None = None
    groups: frozenset[str] | None = None  # None: all documents; else public ones and these groups'


ALL = Scope()
