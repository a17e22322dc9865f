"""Validation measures: does the model rank the answer sentence first?

"in-paragraph top-1": among the sentences of the question's paragraph (reading the right text);
"pool top-1": among those plus retrieved sentences of other paragraphs and articles (also
declining on-topic text that does not answer — what a knowledge base's candidate pool looks like).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from training.pairs import Example, dense_embed, validation_pool


def _top1(scores: np.ndarray, positive: int, n_para: int) -> tuple[int, int]:
    return int(int(np.argmax(scores[:n_para])) == positive), int(int(np.argmax(scores)) == positive)


def _pool_logits(
    model: Any, tokenizer: Any, examples: Sequence[Example], retrieved: int, batch_size: int
) -> list[tuple[np.ndarray, int, int]]:
    """(logits, positive, in-paragraph count) of each example's validation pool, in eval mode."""
    import torch

    from service.reranker import encode_pairs

    was_training = model.training
    model.eval()
    out = []
    with torch.inference_mode():
        for example in examples:
            candidates, positive, n_para = validation_pool(example, retrieved=retrieved)
            scores: list[float] = []
            for begin in range(0, len(candidates), batch_size):
                enc = encode_pairs(tokenizer, example.question, candidates[begin : begin + batch_size])
                scores += model(**{k: torch.from_numpy(v) for k, v in enc.items()}).tolist()
            out.append((np.asarray(scores), positive, n_para))
    if was_training:
        model.train()
    return out


def evaluate(
    model: Any, tokenizer: Any, examples: Sequence[Example], *, retrieved: int, batch_size: int = 64
) -> dict[str, float]:
    """In-paragraph and pool top-1 accuracy of the model over validation examples (near misses,
    which have no answer to rank first, are left out), and with near misses among them
    `near_miss_auc`: how often an answerable question's best candidate outscores a near miss's
    (does the probability tell "answered here" from "on the topic, not said"?)."""
    pools = _pool_logits(model, tokenizer, examples, retrieved, batch_size)
    answerable = [p for p in pools if p[1] >= 0]
    hits = np.array([_top1(*p) for p in answerable], dtype=float).reshape(-1, 2)
    n = max(len(answerable), 1)
    out = {
        "in_paragraph_top1": float(hits[:, 0].sum() / n),
        "pool_top1": float(hits[:, 1].sum() / n),
        "n": float(len(answerable)),
    }
    misses = [float(p[0].max()) for p in pools if p[1] < 0 and p[0].size]
    if misses and answerable:
        out["near_miss_auc"] = rank_auc([float(p[0].max()) for p in answerable], misses)
        out["near_misses"] = float(len(misses))
    return out


def evaluate_with_twins(
    model: Any, tokenizer: Any, examples: Sequence[Example], seed: int, retrieved: int
) -> tuple[dict[str, float], dict[str, float] | None]:
    """(`evaluate` of the examples, the same with their swapped twins) from one pass over the
    pools: the held-out questions beside the same questions asked about another name or number
    (training.perturb). Twins have no answer, so they leave top-1 as it is; their `near_miss_auc`
    says how often the real question's best candidate outscores its twin's."""
    import random

    from training.perturb import perturbed

    twins = perturbed(examples, 1.0, random.Random(f"{seed}/perturbed-val"))
    both = evaluate(model, tokenizer, [*examples, *twins], retrieved=retrieved)
    plain = {k: both[k] for k in ("in_paragraph_top1", "pool_top1", "n")}
    return plain, (both if twins and "near_miss_auc" in both else None)


def rank_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The probability that a positive scores above a negative, ties counting half (the
    Mann-Whitney form of the ROC AUC)."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def baseline_scores(examples: Sequence[Example], *, retrieved: int) -> dict[str, float]:
    """The same measures for the bundled bi-encoder's cosine similarity (what the model must beat)."""
    in_para = pool_hits = 0
    for example in examples:
        candidates, positive, n_para = validation_pool(example, retrieved=retrieved)
        vectors = dense_embed([example.question, *candidates], progress=False)
        a, b = _top1(vectors[1:] @ vectors[0], positive, n_para)
        in_para, pool_hits = in_para + a, pool_hits + b
    n = max(len(examples), 1)
    return {"in_paragraph_top1": in_para / n, "pool_top1": pool_hits / n, "n": float(len(examples))}
