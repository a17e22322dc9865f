"""kbqa indexer: reads a corpus folder, cleans and structures each article, chunks it along its
structure and writes a FAISS index with JSON metadata and a manifest."""

__version__ = "0.1.0"
