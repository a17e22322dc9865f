"""The training loss of one step: listwise + pointwise over each group's logits and, with
`--span-weight`, an auxiliary answer-span loss.

The span loss is SQuAD's reading-comprehension objective used as a second task: a small linear
layer over the encoder's last hidden states predicts where, inside the positive candidate, the
answer starts and ends. Serving never uses that layer (it is not saved); it is there so that the
shared encoder learns to find the answer's words, not only to match the question's topic — a
sentence that restates the question's names without saying the answer (an introduction, a
summary) has no answer tokens to point at.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHUNK = 16  # pairs per forward pass within a step (by length: less padding)
SPAN_HEAD = "span_head"  # the auxiliary layer's attribute on the model: saved in checkpoints only


def answer_texts(squad: Path, structured: Path | None) -> dict[str, str]:
    """Each training question's answer text by its base id (the id before any "/" suffix):
    SQuAD's first answer, and the structured pages' verbatim answers."""
    from training.squad import load_squad  # this project's question ids, as the examples carry

    out = {q.id: q.answers[0].text for a in load_squad(squad) for p in a.paragraphs for q in p.questions}
    for path in sorted(structured.glob("*/questions.jsonl")) if structured else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("answer"):
                out[row["id"]] = row["answer"]
    return out


def span_target(encoding: Any, candidate: str, answer: str) -> tuple[int, int] | None:
    """The first and last token of the last occurrence of `answer` in the candidate (the pair's
    second sequence), or None when it is absent or cut off by truncation."""
    at = candidate.rfind(answer)
    if not answer or at < 0:
        return None
    end = at + len(answer)
    tokens = [
        i
        for i, (seq, (s, e)) in enumerate(zip(encoding.sequence_ids, encoding.offsets, strict=True))
        if seq == 1 and s < end and at < e
    ]
    if not tokens or encoding.offsets[tokens[-1]][1] < end:  # truncated inside the answer
        return None
    return tokens[0], tokens[-1]


def step_loss(
    model: Any,
    tokenizer: Any,
    groups: Sequence[Any],
    answers: Sequence[str | None] = (),
    span_weight: float = 0.0,
) -> Any:
    """Listwise softmax over each answered group plus pointwise logistic over every pair; plus
    `span_weight` x the start/end cross-entropy of the answer inside answered groups' positives
    (`answers`: one per group, None where unknown)."""
    import torch

    questions = [g.question for g in groups for _ in g.candidates]
    texts = [c for g in groups for c in g.candidates]
    # The tokenizer is serving's (service.reranker.load_tokenizer): same truncation, same pairs.
    # Without padding here: the pairs are run in chunks of similar length, each padded to its own
    # longest (one long pair no longer pads the whole batch), and put back in order for the loss.
    encodings = tokenizer.encode_batch(list(zip(questions, texts, strict=True)), add_special_tokens=True)
    targets = _span_targets(groups, answers, encodings, texts) if span_weight else {}
    order = sorted(range(len(encodings)), key=lambda i: sum(encodings[i].attention_mask))
    parts, span_losses = [], []
    hidden: list[Any] = [None]  # the encoder's last hidden states of the latest chunk
    hook = (
        model.bert.register_forward_hook(lambda _m, _i, out: hidden.__setitem__(0, out.last_hidden_state))
        if targets
        else None
    )
    try:
        for begin in range(0, len(order), CHUNK):
            idx = order[begin : begin + CHUNK]
            width = max(sum(encodings[i].attention_mask) for i in idx)
            parts.append(
                model(
                    input_ids=torch.tensor([encodings[i].ids[:width] for i in idx]),
                    attention_mask=torch.tensor([encodings[i].attention_mask[:width] for i in idx]),
                    token_type_ids=torch.tensor([encodings[i].type_ids[:width] for i in idx]),
                )
            )
            if rows := [(j, targets[i]) for j, i in enumerate(idx) if i in targets]:
                span_losses.append(_span_loss(getattr(model, SPAN_HEAD), hidden[0], rows, encodings, idx))
    finally:
        if hook is not None:
            hook.remove()
    inverse = torch.empty(len(order), dtype=torch.long)
    inverse[torch.tensor(order)] = torch.arange(len(order))
    loss = _ranking_loss(torch.cat(parts)[inverse], groups)
    if span_losses:
        loss = loss + span_weight * torch.stack(span_losses).mean()
    return loss


def _ranking_loss(logits: Any, groups: Sequence[Any]) -> Any:
    """Listwise softmax over each answered group's logits (in pair order) plus pointwise logistic
    over every pair."""
    import torch

    labels = torch.zeros_like(logits)
    listwise = []
    begin = 0
    for g in groups:
        if g.positive >= 0:  # a group without an answer has nothing to rank: pointwise only
            labels[begin + g.positive] = 1.0
            group_logits = logits[begin : begin + len(g.candidates)]
            listwise.append(
                torch.nn.functional.cross_entropy(group_logits.unsqueeze(0), torch.tensor([g.positive]))
            )
        begin += len(g.candidates)
    pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    return (torch.stack(listwise).mean() if listwise else logits.new_zeros(())) + pointwise


def _span_targets(
    groups: Sequence[Any], answers: Sequence[str | None], encodings: Sequence[Any], texts: Sequence[str]
) -> dict[int, tuple[int, int]]:
    """Pair position -> (first, last) answer token, for the positives whose answer is found."""
    out, begin = {}, 0
    for g, answer in zip(groups, answers, strict=True):
        if g.positive >= 0 and answer:
            pair = begin + g.positive
            if (target := span_target(encodings[pair], texts[pair], answer)) is not None:
                out[pair] = target
        begin += len(g.candidates)
    return out


def _span_loss(
    head: Any, hidden: Any, rows: list[tuple[int, tuple[int, int]]], encodings: Sequence[Any], idx: list[int]
) -> Any:
    """Start and end cross-entropy over the candidate's tokens of each row (chunk position, target)."""
    import torch

    width = hidden.shape[1]
    picked = hidden[torch.tensor([j for j, _ in rows])]
    scores = head(picked)  # (rows, width, 2)
    allowed = torch.tensor(
        [[s == 1 for s in encodings[idx[j]].sequence_ids[:width]] for j, _ in rows], dtype=torch.bool
    )
    scores = scores.masked_fill(~allowed.unsqueeze(-1), -1e4)
    starts = torch.tensor([t[0] for _, t in rows])
    ends = torch.tensor([t[1] for _, t in rows])
    ce = torch.nn.functional.cross_entropy
    return (ce(scores[..., 0], starts) + ce(scores[..., 1], ends)) / 2
