"""Reading a corpus folder: its files, recursively, in every supported format (see
`indexer/formats`), plus an optional `catalog.json` that gives each file's title and metadata
(date, author, owner, url, updated, and the access `groups` that may read it).

A document's id comes from its path relative to the corpus folder ("hr/leave.docx" ->
"hr-leave"; a top-level file keeps the id of its name), so it stays stable as long as the file
keeps its place. Symbolic links are never followed out of the corpus folder. Every file that is
not indexed is reported with its reason; only hidden files and those the include/exclude globs
leave out are merely counted."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.errors import ConversionError, CorpusError
from indexer.formats import FORMATS, convert, format_of
from indexer.models import Document

CATALOG = "catalog.json"
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024


def doc_id_for(name: str) -> str:
    """A URL-safe id from the file's path: 'CRO vs COO.txt' -> 'cro-vs-coo', 'hr/Leave.docx' -> 'hr-leave'."""
    path = Path(name)
    stem = "/".join([*path.parent.parts, path.stem]).lower()
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
    format: str = "other"


@dataclass(frozen=True)
class CorpusOptions:
    """Which files of the folder are read: globs over the path relative to the corpus folder
    ("hr/*.docx", "*.pdf"; `*` also crosses folders), and the largest file read."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES


@dataclass
class CorpusRead:
    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    excluded: int = 0  # hidden files and files the include/exclude globs leave out


# A file is text when its first bytes hold no NUL and few control characters: a binary file
# renamed .txt would otherwise be "decoded" into noise and indexed.
SNIFF_BYTES = 8192
MAX_CONTROL_SHARE = 0.05


def binary_reason(raw: bytes) -> str | None:
    head = raw[:SNIFF_BYTES]
    if b"\x00" in head:
        return "unreadable: binary content (NUL bytes), not text"
    controls = sum(b < 32 and b not in (9, 10, 12, 13) for b in head)
    if head and controls / len(head) > MAX_CONTROL_SHARE:
        return f"unreadable: binary content ({controls} control bytes in the first {len(head)}), not text"
    return None


def corpus_files(folder: Path, options: CorpusOptions, skipped: list[Skipped]) -> tuple[list[str], int]:
    """Relative paths of the files to read, sorted, and how many were left out on purpose.
    Links leading out of the folder are reported in `skipped`; links to folders are not followed."""
    root = folder.resolve()
    found: list[str] = []
    excluded = 0
    for here, dirs, files in os.walk(folder):
        base = Path(here)
        for name in sorted(dirs):
            path = base / name
            rel = path.relative_to(folder).as_posix()
            if name.startswith("."):
                dirs.remove(name)
            elif path.is_symlink():
                dirs.remove(name)
                if not path.resolve().is_relative_to(root):
                    skipped.append(Skipped(rel + "/", "symlink out of the corpus folder, not followed"))
        for name in files:
            path = base / name
            rel = path.relative_to(folder).as_posix()
            if base == folder and name == CATALOG:
                continue
            if name.startswith(".") or not _selected(rel, options):
                excluded += 1
            elif path.is_symlink() and not path.resolve().is_relative_to(root):
                skipped.append(
                    Skipped(rel, "symlink out of the corpus folder, not followed", _format_name(rel))
                )
            else:
                found.append(rel)
    return sorted(found, key=lambda r: (r.count("/"), r)), excluded


def _selected(rel: str, options: CorpusOptions) -> bool:
    if options.include and not any(fnmatch.fnmatch(rel, g) for g in options.include):
        return False
    return not any(fnmatch.fnmatch(rel, g) for g in options.exclude)


def _format_name(rel: str) -> str:
    return format_of(Path(rel).suffix) or "other"


def read_corpus(folder: Path, options: CorpusOptions | None = None) -> CorpusRead:
    """Documents in path order (top-level files first; the title is resolved later, from the
    catalog, the file or the text), and every file skipped with its reason."""
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    options = options or CorpusOptions()
    catalog = read_catalog(folder)
    read = CorpusRead()
    files, read.excluded = corpus_files(folder, options, read.skipped)
    seen: set[str] = set()
    for rel in files:
        fmt = format_of(Path(rel).suffix)
        if fmt is None:
            suffix = Path(rel).suffix or "no extension"
            read.skipped.append(Skipped(rel, f"unsupported type ({suffix})"))
            continue
        document = _read_document(folder / rel, rel, fmt, options, catalog, read.skipped)
        if document is None:
            continue
        doc_id = document.doc_id
        if doc_id in seen:
            doc_id = f"{doc_id}-{hashlib.sha256(rel.encode()).hexdigest()[:6]}"
        seen.add(doc_id)
        read.documents.append(replace(document, doc_id=doc_id))
    if not read.documents and not read.skipped:
        raise CorpusError(f"no files in {folder} (supported: {', '.join(sorted(FORMATS))})")
    return read


def _read_document(
    path: Path,
    rel: str,
    fmt: str,
    options: CorpusOptions,
    catalog: dict[str, dict[str, str]],
    skipped: list[Skipped],
) -> Document | None:
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            limit = options.max_file_bytes / 1024 / 1024
            skipped.append(Skipped(rel, f"too large ({size / 1024 / 1024:.1f} MB > {limit:g} MB)", fmt))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        skipped.append(Skipped(rel, f"unreadable: {exc.strerror or exc}", fmt))
        return None
    reason = "empty" if not raw.strip() else (binary_reason(raw) if fmt in ("txt", "md", "html") else None)
    if reason is not None:
        skipped.append(Skipped(rel, reason, fmt))
        return None
    try:
        converted = convert(fmt, raw)
    except ConversionError as exc:
        skipped.append(Skipped(rel, exc.reason, fmt))
        return None
    if not converted.text.strip():
        skipped.append(Skipped(rel, "empty", fmt))
        return None
    entry = catalog.get(rel, catalog.get(path.name, {}) if "/" not in rel else {})
    meta = {"source_path": rel, "format": converted.format, **converted.meta, **entry}
    title = meta.pop("title", "")
    return Document(doc_id_for(rel), rel, title, converted.text, hashlib.sha256(raw).hexdigest(), meta)
