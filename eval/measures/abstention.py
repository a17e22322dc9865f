"""Abstention measures: declining what the knowledge base does not answer, and not declining
what it does."""

from __future__ import annotations

from collections.abc import Sequence


def abstention_accuracy(answers_to_unanswerable: Sequence[str | None]) -> float:
    """Share of unanswerable questions that got no answer."""
    items = list(answers_to_unanswerable)
    return sum(a is None for a in items) / len(items) if items else 0.0


def false_abstention_rate(answers_to_answerable: Sequence[str | None]) -> float:
    """Share of answerable questions that got no answer."""
    items = list(answers_to_answerable)
    return sum(a is None for a in items) / len(items) if items else 0.0
