"""Which index serves a corpus folder, and whether it must be (re)built: `kbqa serve --corpus`.
The folder is named as the Makefile names it (the bundled corpus's index is index/, another
corpus's is indexes/<its path, / as ->), so serving one corpus never overwrites another's index."""

from __future__ import annotations

from pathlib import Path

from indexer import code_sha256
from indexer.build import prepare
from indexer.chunking import ChunkingParams
from indexer.errors import CorpusError, KbqaError
from indexer.store import FORMAT_VERSION, corpus_hash, read_manifest

BUNDLED_CORPUS = "corpus"


def index_dir_for(corpus: Path) -> Path:
    """index/ for the bundled corpus, else indexes/<path with / as -> (as `make run CORPUS=`)."""
    name = corpus.as_posix().rstrip("/")
    return Path("index") if name == BUNDLED_CORPUS else Path("indexes") / name.replace("/", "-")


def staleness(corpus: Path, index_dir: Path, params: ChunkingParams) -> str | None:
    """Why the index at `index_dir` must be built from `corpus` (None: it is up to date). An index
    built from another corpus is an error: it is never replaced from here."""
    prepared = prepare(corpus, params)  # reads the corpus first: a missing or empty one fails here
    try:
        manifest = read_manifest(index_dir)
    except KbqaError:
        return "no index yet"
    corpus_entry = manifest.get("corpus")
    built: dict[str, object] = corpus_entry if isinstance(corpus_entry, dict) else {}
    built_from = built.get("path")
    if isinstance(built_from, str) and built_from and Path(built_from).resolve() != corpus.resolve():
        raise CorpusError(
            f"the index at {index_dir} was built from {built_from}, not {corpus}; "
            "serve it with --index, or choose another --index for this corpus"
        )
    if manifest.get("format_version") != FORMAT_VERSION:
        return "the index format changed"
    if manifest.get("indexer_sha256") != code_sha256():
        return "the indexer's code changed"
    chunking = manifest.get("chunking", {})
    if chunking.get("max_words") != params.max_words or chunking.get("max_window") != params.max_window:
        return "the chunking settings changed"
    if built.get("sha256") != corpus_hash(prepared.documents):
        return "the corpus changed"
    return None
