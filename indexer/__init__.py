"""kbqa indexer: reads a corpus folder, cleans and structures each article, chunks it along its
structure and writes an index (vectors, BM25, JSON metadata, manifest). The bottom layer: it
imports nothing from `service` or `eval`."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kbqa")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
