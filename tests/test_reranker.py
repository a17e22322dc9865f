"""The reranker's code path end to end on a tiny SQuAD-format sample: mining, training, resuming,
saving only the trained parameters, loading through `service.reranker.Reranker`, ONNX export.

It trains a 2-layer cut of the bundled model for a few dozen steps; it does not train (or need)
the shipped model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors import safe_open

from indexer.sentences import split_sentences
from service.reranker import Reranker, candidate_input
from training.config import TrainConfig
from training.squad import load_squad
from training.train import train


def _article(title: str, paragraphs: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, object]:
    out = []
    for n, (context, qas) in enumerate(paragraphs):
        out.append(
            {
                "context": context,
                "qas": [
                    {
                        "id": f"{title}-{n}-{i}",
                        "question": q,
                        "answers": [{"text": a, "answer_start": context.find(a)}],
                    }
                    for i, (q, a) in enumerate(qas)
                ],
            }
        )
    return {"title": title, "paragraphs": out}


SAMPLE: dict[str, Any] = {
    "version": "1.1",
    "data": [
        _article(
            "Sourdough",
            [
                (
                    "Sourdough bread is leavened by a culture of wild yeast and lactic acid bacteria. "
                    "The starter is fed with flour and water every day. "
                    "Bakers in San Francisco made the style famous during the gold rush. "
                    "A long cold proof gives the crumb its sour taste.",
                    [("What leavens sourdough bread?", "wild yeast and lactic acid bacteria")],
                ),
                (
                    "The crust darkens because of the Maillard reaction in a hot oven. "
                    "Steam in the first minutes lets the loaf expand before the crust sets. "
                    "Most recipes bake the loaf at 250 degrees for forty minutes.",
                    [("Why does the crust darken?", "the Maillard reaction")],
                ),
            ],
        ),
        _article(
            "Beekeeping",
            [
                (
                    "A honey bee colony has a single queen that lays all the eggs. "
                    "Worker bees gather nectar and pollen from flowers within a few kilometres. "
                    "Drones exist only to mate with a queen from another colony. "
                    "Beekeepers inspect their hives every week in spring.",
                    [("Who lays the eggs in a bee colony?", "a single queen")],
                ),
            ],
        ),
        _article(
            "Glaciers",
            [
                (
                    "A glacier forms where snow accumulates faster than it melts over many years. "
                    "The weight of the snow compresses it into dense blue ice. "
                    "Glaciers flow downhill under their own weight, carving valleys as they move.",
                    [("How does a glacier form?", "where snow accumulates faster than it melts")],
                ),
            ],
        ),
        _article(  # sha256("Lighthouses") starts with "0": a held-out (validation) article
            "Lighthouses",
            [
                (
                    "The lighthouse at Alexandria was one of the seven wonders of the ancient world. "
                    "Its light guided ships into the harbour for many centuries. "
                    "Earthquakes destroyed the tower in the fourteenth century.",
                    [("What destroyed the lighthouse of Alexandria?", "Earthquakes")],
                ),
            ],
        ),
    ],
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainConfig, dict[str, object]]:
    root = tmp_path_factory.mktemp("reranker")
    squad = root / "train-sample.json"
    squad.write_text(json.dumps(SAMPLE), encoding="utf-8")
    paraphrases = root / "paraphrases.jsonl"
    paraphrases.write_text(
        json.dumps({"id": "Glaciers-0-0", "question": "what makes a glacier"}) + "\n\n", encoding="utf-8"
    )
    cfg = TrainConfig(
        squad=squad,
        paraphrases=[paraphrases],
        paraphrase_holdout=0,
        out=root / "model",
        work=root / "work",
        steps=40,
        batch=3,
        group=4,
        layers=2,
        train_from=1,
        max_length=64,
        lr=3e-4,
        head_lr=3e-3,
        pool_articles=0,
        max_train_questions=5,  # three questions and a paraphrase, over and over: it must learn them
        val_questions=1,
        val_final=1,
        eval_every=1000,
        checkpoint_every=10,
        window_rate=0.0,
        progress=False,
    )
    return cfg, train(cfg)


def test_candidate_format_is_short_and_skips_empty_parts() -> None:
    assert candidate_input("  The CRO reports\n to the CEO. ") == "The CRO reports to the CEO."
    assert (
        candidate_input("manage budgets", title="Roles", section=("COO", ""), lead="Duties include:")
        == "Roles > COO: Duties include: manage budgets"
    )


def test_squad_reader_reads_the_standard_layout(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SAMPLE), encoding="utf-8")
    articles = load_squad(path)
    assert [a.title for a in articles] == ["Sourdough", "Beekeeping", "Glaciers", "Lighthouses"]
    assert [a.held_out for a in articles] == [False, False, False, True]
    assert articles[0].paragraphs[1].questions[0].answers[0].text == "the Maillard reaction"


def test_saved_file_holds_only_the_trained_parameters(trained: tuple[TrainConfig, dict[str, object]]) -> None:
    cfg, summary = trained
    assert summary["steps"] == 40
    assert summary["data"]["paraphrases"]["trained"] == 1  # type: ignore[index]
    with safe_open(str(cfg.out / "model.safetensors"), "pt") as handle:
        keys = set(handle.keys())
    assert keys, "no tensors saved"
    assert all(k.startswith(("bert.encoder.layer.1.", "head.")) for k in keys), sorted(keys)[:5]
    assert {"head.weight", "head.bias"} <= keys
    config = json.loads((cfg.out / "config.json").read_text())
    assert config["num_layers"] == 2 and config["trained_layers"] == [1]


def test_trained_model_prefers_the_answer_sentence(trained: tuple[TrainConfig, dict[str, object]]) -> None:
    cfg, _ = trained
    reranker = Reranker(cfg.out, backend="torch")
    checked = 0
    for article in SAMPLE["data"][:3]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = [context[s.start : s.end] for s in split_sentences(context)]
            for qa in paragraph["qas"]:
                if qa["id"] not in _trained_ids(cfg):
                    continue
                answer = qa["answers"][0]["text"]
                candidates = [candidate_input(s, title=article["title"]) for s in sentences]
                scores = reranker.score(qa["question"], candidates)
                assert scores.shape == (len(sentences),)
                assert scores.dtype == np.float32 and np.all((scores >= 0) & (scores <= 1))
                positive = next(i for i, s in enumerate(sentences) if answer in s)
                assert int(np.argmax(scores)) == positive, (qa["question"], scores)
                checked += 1
    assert checked >= 3


def _trained_ids(cfg: TrainConfig) -> set[str]:
    import gzip

    (data_file,) = cfg.work.glob("data-*.json.gz")
    return {e["qid"] for e in json.loads(gzip.decompress(data_file.read_bytes()))["train"]}


def test_resumed_run_matches_an_uninterrupted_one(
    trained: tuple[TrainConfig, dict[str, object]], tmp_path: Path
) -> None:
    cfg, _ = trained
    from dataclasses import replace

    split = replace(cfg, out=tmp_path / "split", work=tmp_path / "work", steps=40, stop_at=20, eval_every=10)
    assert train(split)["stopped_at"] == 20
    assert not (tmp_path / "split" / "model.safetensors").exists()
    summary = train(replace(split, stop_at=0, resume=True))
    # The summary keeps the validation of the steps before the interruption too.
    assert [r["step"] for r in summary["validation_during_training"]] == [10, 20, 30, 40]
    with (
        safe_open(str(cfg.out / "model.safetensors"), "pt") as a,
        safe_open(str(tmp_path / "split" / "model.safetensors"), "pt") as b,
    ):
        for key in a.keys():  # noqa: SIM118 - safe_open handles are not mappings
            assert np.allclose(a.get_tensor(key).numpy(), b.get_tensor(key).numpy(), atol=1e-6), key


def test_onnx_agrees_with_torch(trained: tuple[TrainConfig, dict[str, object]], tmp_path: Path) -> None:
    cfg, _ = trained
    question = "What leavens sourdough bread?"
    candidates = [
        candidate_input("Sourdough bread is leavened by a culture of wild yeast.", title="Sourdough"),
        candidate_input("Drones exist only to mate with a queen from another colony.", title="Beekeeping"),
        "short",
    ]
    reference = Reranker(cfg.out, backend="torch").score(question, candidates)
    fp32 = Reranker(cfg.out, backend="onnx-fp32", cache_dir=tmp_path).score(question, candidates)
    assert np.max(np.abs(fp32 - reference)) < 1e-3
    int8 = Reranker(cfg.out, backend="onnx-int8", cache_dir=tmp_path).score(question, candidates)
    assert int8.shape == (3,) and np.all((int8 >= 0) & (int8 <= 1))
    auto = Reranker(cfg.out, backend="auto", cache_dir=tmp_path)
    assert auto.backend_used in ("onnx-int8", "onnx-fp32", "torch")
    assert auto.score(question, []).shape == (0,)


def test_auto_backend_verdict_is_cached_beside_the_graphs(
    trained: tuple[TrainConfig, dict[str, object]], tmp_path: Path
) -> None:
    """The first start compares ONNX with PyTorch and saves the verdict; the next start serves the
    same backend and scores without building the PyTorch model, until the graphs change."""
    cfg, _ = trained
    question = "What leavens sourdough bread?"
    candidates = ["Sourdough is leavened by wild yeast.", "Bees mate."]
    first = Reranker(cfg.out, backend="auto", cache_dir=tmp_path)
    records = list(tmp_path.glob("*/verify.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["backend"] == first.backend_used and record["agreement"] == first.agreement
    second = Reranker(cfg.out, backend="auto", cache_dir=tmp_path)
    assert (second.backend_used, second.agreement) == (first.backend_used, first.agreement)
    assert (second._model is None) == (second.backend_used != "torch")
    assert np.array_equal(second.score(question, candidates), first.score(question, candidates))
    # A verdict for other graphs is not trusted: the comparison runs again (and builds the model).
    records[0].write_text(json.dumps(record | {"graphs": {"onnx-int8": "0" * 64}}))
    third = Reranker(cfg.out, backend="auto", cache_dir=tmp_path)
    assert third.backend_used == first.backend_used
    assert json.loads(records[0].read_text())["graphs"] == record["graphs"]
