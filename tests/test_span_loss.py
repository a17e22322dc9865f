"""The auxiliary answer-span loss of reranker training (training/loss.py): where the answer's
tokens are found in a candidate, what the loss adds, and that serving's weights never carry the
auxiliary layer. Runs on the bundled tokenizer and a one-layer model cut from the bundled one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from indexer.embedding import BUNDLED_WEIGHTS_SHA256
from service.reranker import RerankerConfig, build_model, bundled_base_path, load_tokenizer
from training.config import TrainConfig
from training.loss import SPAN_HEAD, answer_texts, span_target, step_loss
from training.pairs import Group
from training.train import train


@pytest.fixture(scope="module")
def tokenizer() -> object:
    return load_tokenizer(bundled_base_path(), 64)


def _covered(tok: object, question: str, candidate: str, answer: str) -> tuple[int, str] | None:
    """Where the target's tokens start in the candidate, and the text they cover."""
    encoding = tok.encode(question, candidate)  # type: ignore[attr-defined]
    target = span_target(encoding, candidate, answer)
    if target is None:
        return None
    start, end = encoding.offsets[target[0]][0], encoding.offsets[target[1]][1]
    return start, candidate[start:end]


def test_the_target_is_the_answers_tokens_in_the_candidate(tokenizer: object) -> None:
    candidate = "Bakery: Anna Berg baked the loaf."
    assert _covered(tokenizer, "who baked it?", candidate, "Anna Berg") == (8, "Anna Berg")


def test_an_answer_also_in_the_heading_is_found_in_the_body(tokenizer: object) -> None:
    # "Sourdough" is both the candidate's title and, later, the answer in its sentence.
    candidate = "Sourdough: the sour one is Sourdough."
    assert _covered(tokenizer, "which bread is sour?", candidate, "Sourdough") == (27, "Sourdough")


def test_no_target_when_the_answer_is_absent_or_cut_off(tokenizer: object) -> None:
    assert _covered(tokenizer, "who?", "Nobody is named here.", "Anna Berg") is None
    assert _covered(tokenizer, "who?", "Nobody is named here.", "") is None
    long = " ".join(["word"] * 80) + " Anna Berg"  # past the 64-token limit
    assert _covered(tokenizer, "who?", long, "Anna Berg") is None


def test_answer_texts_reads_squad_and_the_pages(tmp_path: Path) -> None:
    squad = tmp_path / "train.json"
    context = "The loaf is baked by Anna Berg."
    squad.write_text(
        json.dumps(
            {
                "version": "1.1",
                "data": [
                    {
                        "title": "Bread",
                        "paragraphs": [
                            {
                                "context": context,
                                "qas": [
                                    {
                                        "id": "x",
                                        "question": "Who bakes the loaf?",
                                        "answers": [
                                            {"text": "Anna Berg", "answer_start": context.find("Anna")}
                                        ],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    pages = tmp_path / "pages" / "p1"
    pages.mkdir(parents=True)
    rows = [
        {"id": "p1-q1", "doc": "d.md", "question": "hours?", "answer": "9 to 5", "style": "k", "unit": "row"},
        {"id": "p1-q2", "doc": "d.md", "question": "parking?", "answer": None, "style": "k", "unit": "row"},
    ]
    (pages / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    answers = answer_texts(squad, tmp_path / "pages")
    assert sorted(answers.values()) == ["9 to 5", "Anna Berg"]
    assert answers["p1-q1"] == "9 to 5"  # a near miss (answer null) has none


def _model() -> torch.nn.Module:
    config = RerankerConfig(
        num_layers=1, trained_layers=(0,), max_length=64, base_weights_sha256=BUNDLED_WEIGHTS_SHA256
    )
    torch.manual_seed(0)
    model = build_model(config)
    setattr(model, SPAN_HEAD, torch.nn.Linear(int(model.bert.config.hidden_size), 2))
    return model.eval()  # no dropout: the two losses below differ only by the span term


def test_the_span_term_adds_to_the_loss_and_reaches_only_answered_groups(tokenizer: object) -> None:
    model = _model()
    groups = [
        Group("who baked the loaf?", ("Anna Berg baked the loaf.", "The oven was hot."), 0),
        Group("is it sour?", ("The oven was hot.", "Flour and water."), -1),  # nothing answers
    ]
    answers = ["Anna Berg", "hot"]  # the unanswered group's "answer" must be ignored
    without = step_loss(model, tokenizer, groups, answers, 0.0)
    with_span = step_loss(model, tokenizer, groups, answers, 1.0)
    assert with_span.item() > without.item()
    with_span.backward()
    head = getattr(model, SPAN_HEAD)
    assert head.weight.grad is not None and float(head.weight.grad.abs().sum()) > 0
    model.zero_grad()
    # No answer known for the answered group: no span term at all.
    assert float(step_loss(model, tokenizer, groups, [None, None], 1.0)) == pytest.approx(float(without))


def test_a_run_with_the_span_loss_saves_no_span_layer(tmp_path: Path) -> None:
    from tests.test_reranker import SAMPLE

    squad = tmp_path / "train.json"
    squad.write_text(json.dumps(SAMPLE), encoding="utf-8")
    cfg = TrainConfig(
        squad=squad,
        out=tmp_path / "model",
        work=tmp_path / "work",
        steps=6,
        batch=2,
        group=3,
        layers=2,
        train_from=1,
        max_length=64,
        pool_articles=0,
        max_train_questions=4,
        val_questions=1,
        val_final=1,
        eval_every=1000,
        checkpoint_every=3,
        progress=False,
        span_weight=0.5,
    )
    summary = train(cfg)
    assert summary["settings"]["span_weight"] == 0.5
    with safe_open(str(cfg.out / "model.safetensors"), "pt") as handle:
        keys = set(handle.keys())
    assert keys and not any(k.startswith(SPAN_HEAD) for k in keys)
    (checkpoint,) = cfg.work.glob("run-*/last.pt")
    state = torch.load(checkpoint, weights_only=False)
    assert {f"{SPAN_HEAD}.weight", f"{SPAN_HEAD}.bias"} <= set(state["model"])  # resumable with it
