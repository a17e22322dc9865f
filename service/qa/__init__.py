"""The query path: query analysis -> hybrid retrieval -> candidate features and scoring ->
extension -> abstention -> a domain `Answer` (see pipeline.py)."""
