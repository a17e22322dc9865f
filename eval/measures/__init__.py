"""One small module per measure; each takes plain data and returns a number."""

from eval.measures.abstention import abstention_accuracy, false_abstention_rate
from eval.measures.answer_accuracy import answer_accuracy
from eval.measures.interval import wilson_interval
from eval.measures.match import matches_evidence, token_overlap
from eval.measures.ranking import first_relevant_rank, mrr, recall_at

__all__ = [
    "abstention_accuracy",
    "answer_accuracy",
    "false_abstention_rate",
    "first_relevant_rank",
    "matches_evidence",
    "mrr",
    "recall_at",
    "token_overlap",
    "wilson_interval",
]
