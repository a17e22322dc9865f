"""Reading a corpus folder: `.txt` and `.md` files plus an optional `catalog.json` that gives
each file's title and metadata (date, author, source, and the access `groups` that may read it)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import CorpusError
from indexer.models import Document

SUFFIXES = (".txt", ".md")
CATALOG = "catalog.json"


def doc_id_for(name: str) -> str:
    """A URL-safe id from the file name: 'CRO vs COO.txt' -> 'cro-vs-coo'."""
    stem = Path(name).stem.lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "doc"


def read_catalog(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / CATALOG
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CorpusError(f'{path} must map file names to objects such as {{"title": ...}}')
    return {name: {k: _value(v) for k, v in entry.items()} for name, entry in data.items()}


def _value(value: object) -> str:
    """A catalog value as the string documents keep: a list (of access groups, say) comma-joined."""
    if isinstance(value, list):
        return ",".join(str(v).strip() for v in value)
    return str(value)


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not indexed, and why: `kbqa index` reports every one."""

    path: str
    reason: str


# A file is text when its first bytes hold no NUL and few control characters: a binary file
# renamed .txt would otherwise be "decoded" into noise and indexed.
SNIFF_BYTES = 8192
MAX_CONTROL_SHARE = 0.05


def binary_reason(raw: bytes) -> str | None:
    head = raw[:SNIFF_BYTES]
    if b"\x00" in head:
        return "binary content (NUL bytes), not text"
    controls = sum(b < 32 and b not in (9, 10, 12, 13) for b in head)
    if head and controls / len(head) > MAX_CONTROL_SHARE:
        return f"binary content ({controls} control bytes in the first {len(head)}), not text"
    return None


def read_corpus(folder: Path) -> tuple[list[Document], list[Skipped]]:
    """Documents in file-name order (the title is resolved later, from the catalog or the text),
    and the files skipped with their reason."""
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    catalog = read_catalog(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise CorpusError(f"no .txt or .md files in {folder}")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for path in files:
        raw = path.read_bytes()
        reason = "empty" if not raw.strip() else binary_reason(raw)
        if reason is not None:
            skipped.append(Skipped(path.name, reason))
            continue
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        doc_id = doc_id_for(path.name)
        if doc_id in seen:
            doc_id = f"{doc_id}-{hashlib.sha256(path.name.encode()).hexdigest()[:6]}"
        seen.add(doc_id)
        entry = catalog.get(path.name, {})
        meta = {k: v for k, v in entry.items() if k != "title"}
        documents.append(
            Document(doc_id, path.name, entry.get("title", ""), text, hashlib.sha256(raw).hexdigest(), meta)
        )
    return documents, skipped
