"""Reading a corpus folder: `.txt` and `.md` files plus an optional `catalog.json` that gives
each file's title and metadata (date, author, source, and the access `groups` that may read it)."""

from __future__ import annotations

import hashlib
import json
import re
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


def read_corpus(folder: Path) -> list[tuple[Document, dict[str, str]]]:
    """Documents in file-name order, each with its catalog entry (possibly empty). The title is
    resolved later, from the catalog or the text."""
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    catalog = read_catalog(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise CorpusError(f"no .txt or .md files in {folder}")
    out: list[tuple[Document, dict[str, str]]] = []
    seen: set[str] = set()
    for path in files:
        raw = path.read_bytes()
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
        document = Document(
            doc_id, path.name, entry.get("title", ""), text, hashlib.sha256(raw).hexdigest(), meta
        )
        out.append((document, entry))
    return out
