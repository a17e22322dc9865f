"""kbqa service: hybrid retrieval, extractive answers with citations, HTTP API and CLI."""
