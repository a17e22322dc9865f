"""kbqa indexer: reads a corpus folder, cleans and structures each article, chunks it along its
structure and writes an index (vectors, BM25, JSON metadata, manifest). The bottom layer: it
imports nothing from `service` or `eval`."""

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("kbqa")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def code_sha256() -> str:
    """sha256 of the indexer's source files: an index built by other indexer code (after a pull,
    say) may cut or clean the same corpus differently, so `kbqa serve --corpus` rebuilds it."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
