"""Any sentence-transformers cross-encoder as the reranker (service/cross_encoder.py), and the
answer model's refusal to weigh the logits of a reranker it was not fitted for.

The cross-encoders here are built from the bundled MiniLM with a fresh, seeded head (no hub is
reachable in tests): what is checked is the wiring, the identity and the refusals, not quality."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from indexer.embedding import Embedder
from indexer.errors import ModelError
from service.api.app import default_reader, load_pipeline
from service.config import Settings
from service.cross_encoder import CrossEncoderReader, is_reranker_folder, model_identity
from service.errors import AbstentionModelError
from service.qa.answer_model import DEFAULT_ANSWER_MODEL_PATH
from service.reranker import DEFAULT_FOLDER, Reranker, bundled_base_path


def _cross_encoder(folder: Path, labels: int = 1) -> Path:
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    CrossEncoder(str(bundled_base_path()), num_labels=labels, max_length=64, device="cpu").save(str(folder))
    return folder


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _cross_encoder(tmp_path_factory.mktemp("cross-encoder"))


def test_a_cross_encoder_folder_serves_as_the_reader_with_its_raw_logits(cross_encoder_dir: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    reader = default_reader(Settings(reranker=str(cross_encoder_dir)))
    assert isinstance(reader, CrossEncoderReader)
    candidates = ["The CRO reports to the CEO.", "Parking is behind the office.", "x"]
    logits = reader.logits("who does the CRO report to?", candidates)
    # Reference: the same weights through transformers directly, no sigmoid.
    tokenizer = AutoTokenizer.from_pretrained(cross_encoder_dir)
    model = AutoModelForSequenceClassification.from_pretrained(cross_encoder_dir).eval()
    batch = tokenizer(["who does the CRO report to?"] * 3, candidates, padding=True, return_tensors="pt")
    with torch.inference_mode():
        expected = model(**batch).logits[:, 0].numpy()
    assert logits.dtype == np.float32 and logits.shape == (3,)
    np.testing.assert_allclose(logits, expected, atol=1e-4)
    assert reader.logits("anything", []).shape == (0,)


def test_a_model_is_identified_by_its_weights_wherever_it_lies(
    cross_encoder_dir: Path, tmp_path: Path
) -> None:
    copy = shutil.copytree(cross_encoder_dir, tmp_path / "elsewhere")
    assert model_identity(str(copy)) == model_identity(str(cross_encoder_dir))
    assert model_identity(str(cross_encoder_dir)).startswith("sha256:")
    assert model_identity("BAAI/bge-reranker-base") == "hub:BAAI/bge-reranker-base"
    assert is_reranker_folder(DEFAULT_FOLDER) and not is_reranker_folder(cross_encoder_dir)
    bundled = json.loads(DEFAULT_ANSWER_MODEL_PATH.read_text(encoding="utf-8"))["provenance"]["reranker"]
    assert bundled == model_identity(str(DEFAULT_FOLDER))  # the shipped model names the shipped reranker


def test_a_model_with_more_than_one_output_or_not_found_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="3 outputs"):
        CrossEncoderReader(str(_cross_encoder(tmp_path / "nli", labels=3)))
    with pytest.raises(ModelError, match="cannot load the cross-encoder"):
        CrossEncoderReader("no-such-org/no-such-reranker")  # HF_HUB_OFFLINE: not in the local cache


def test_the_shipped_answer_model_refuses_another_rerankers_logits(
    cross_encoder_dir: Path, index_dir: Path, embedder: Embedder
) -> None:
    settings = Settings(index_dir=index_dir, reranker=str(cross_encoder_dir))
    reader = default_reader(settings)
    assert reader is not None
    with pytest.raises(AbstentionModelError, match="fitted for the reranker sha256:5c988f8b"):
        load_pipeline(settings, embedder, reader=reader)


def test_an_answer_model_fitted_for_the_cross_encoder_serves_with_it(
    cross_encoder_dir: Path, index_dir: Path, embedder: Embedder, tmp_path: Path
) -> None:
    reader = default_reader(Settings(reranker=str(cross_encoder_dir)))
    assert reader is not None
    fitted = json.loads(DEFAULT_ANSWER_MODEL_PATH.read_text(encoding="utf-8"))
    fitted["provenance"]["reranker"] = reader.identity  # as `make fit RERANKER=...` records it
    path = tmp_path / "answer_model.json"
    path.write_text(json.dumps(fitted), encoding="utf-8")
    settings = Settings(index_dir=index_dir, reranker=str(cross_encoder_dir), answer_model=path)
    pipeline = load_pipeline(settings, embedder, reader=reader)
    answer = pipeline.ask("who outranks the COO?", 5)
    # The pool was read by this model: the signal is 0 only when nothing was read.
    assert answer.selection.signals.reader_logit != 0.0


def test_the_bundled_reranker_is_identified_by_its_weights_file(reader: Reranker) -> None:
    assert reader.identity == model_identity(str(DEFAULT_FOLDER))


@pytest.mark.parametrize("value", ["/no/such/folder", "./missing", "~/nowhere", " "])
def test_a_reranker_setting_that_names_no_folder_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError, match="reranker must be"):
        Settings(reranker=value)


def test_a_hub_name_is_a_valid_reranker_setting() -> None:
    assert Settings(reranker="BAAI/bge-reranker-base").reranker == "BAAI/bge-reranker-base"
