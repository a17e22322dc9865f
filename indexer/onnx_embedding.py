"""The bundled sentence embedder run by onnxruntime, for the query path.

Document vectors are always built with PyTorch (sentence-transformers, `embedding.py`); a query
vector from ONNX must land in the same space. So the graph is exported from the very weights the
index was built with (same model id and weights sha256, hence the same `ModelSignature`), and is
used only after its vectors were compared with sentence-transformers' on a fixed probe set: the
lowest cosine must be at least `MIN_COSINE`. What was compared, and each graph's sha256, is saved
in the cache beside the graphs (`verify.json`) and recorded in the index manifest at build time.

Loading needs onnxruntime and tokenizers only: no torch, no sentence-transformers, which is most
of what made a cold start take ten seconds. torch is imported only to export, once per machine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from indexer import onnx_models
from indexer.embedding import (
    BUNDLED,
    BUNDLED_MODEL_ID,
    BUNDLED_WEIGHTS_SHA256,
    Embedder,
    SentenceTransformerEmbedder,
    _bundled_model_path,
)
from indexer.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger("kbqa")

EncoderBackend = Literal["auto", "torch", "onnx-fp32", "onnx-int8"]
OnnxVariant = Literal["onnx-fp32", "onnx-int8"]
# What "auto" tries, in order, before falling back to PyTorch. fp32 only: int8 (2.5x cheaper)
# agrees to cosine 0.993 on the probes, but lost 1.9 points of answer accuracy and 4.2 of
# abstention accuracy on the bundled eval set (README "Speed"); it stays selectable by name.
AUTO_ORDER: tuple[OnnxVariant, ...] = ("onnx-fp32",)
MIN_COSINE = 0.99
FORMAT_VERSION = 2  # 2: the fp32 graph's transformer ops fused (onnx_models.fuse_bert)
_FILES = {"onnx-fp32": onnx_models.FP32_FILE, "onnx-int8": onnx_models.INT8_FILE}

# Probe texts for the agreement check: questions as typed (short, typos, keywords, accents,
# numbers) and passages up to past the model's 256-token window, so truncation is checked too.
PROBES: tuple[str, ...] = (
    "who does the head of sales report to?",
    "wat does a cro do",
    "vacation days carry over",
    "How long does shipping take to Zürich, and what does it cost?",
    "difference between a savings account and a checking account",
    "is the office open on public holidays",
    "reset password",
    "When was the treaty signed in 1370?",
    "The chief operating officer manages the day-to-day operations of the company and reports to the CEO.",
    "Descale the machine every two to three months, or monthly where the water is hard; "
    "backflush the group head after each session.",
    " ".join(["Employees may request up to twenty days of paid leave each calendar year."] * 30),
)


def _encoder_module(base: Path) -> Any:
    """BERT with sentence-transformers' mean pooling and L2 normalisation, as one torch module."""
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the unused pooler weights are expected, not news
    bert = BertModel.from_pretrained(
        str(base), local_files_only=True, add_pooling_layer=False, attn_implementation="eager"
    )

    class _Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return _Encoder().eval()


def _max_length(base: Path) -> int:
    config = json.loads((base / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def _tokenizer(base: Path) -> Tokenizer:
    """The model's fast tokenizer, truncating where sentence-transformers does and padding to the
    longest text of a batch (the shipped tokenizer.json pads every input to 128)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.enable_truncation(_max_length(base))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def _run(session: Any, tokenizer: Tokenizer, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    out = []
    for begin in range(0, len(texts), batch_size):
        encodings = tokenizer.encode_batch(list(texts[begin : begin + batch_size]))
        feed = {
            "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encodings], dtype=np.int64),
        }
        out.append(np.asarray(session.run(["embedding"], feed)[0], dtype=np.float32))
    vectors = np.concatenate(out)
    # int8 graphs drift off unit length a little; the index's similarities assume unit vectors.
    return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def encoder_cache(cache_dir: Path | None = None) -> Path:
    """Where the bundled encoder's graphs live: keyed by its weights and the library versions."""
    key = onnx_models.cache_key(
        BUNDLED_WEIGHTS_SHA256, version("torch"), version("onnxruntime"), str(FORMAT_VERSION)
    )
    return (cache_dir or onnx_models.cache_root("encoder")) / key


def export_encoder(folder: Path) -> None:
    """Export fp32, quantise int8 (from the plain export), fuse the fp32 graph's transformer ops,
    and compare both graphs with sentence-transformers on the probes."""
    base = _bundled_model_path()
    plain = folder / "model.plain.onnx"
    onnx_models.export_onnx(
        _encoder_module(base), plain,
        ["input_ids", "attention_mask", "token_type_ids"], "embedding", {0: "batch"},
    )  # fmt: skip
    onnx_models.quantize_int8(plain, folder / onnx_models.INT8_FILE)
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    fused = onnx_models.fuse_bert(
        plain, folder / onnx_models.FP32_FILE, int(config["num_attention_heads"]), int(config["hidden_size"])
    )
    plain.unlink()
    reference = SentenceTransformerEmbedder(BUNDLED).embed(PROBES)
    tokenizer = _tokenizer(base)
    variants = {}
    for name, file in _FILES.items():
        vectors = _run(onnx_models.onnx_session(folder / file, 2), tokenizer, PROBES)
        cosines = np.sum(vectors * reference, axis=1)
        variants[name] = {
            "file": file,
            "sha256": onnx_models.sha256_of(folder / file),
            "min_cosine": round(float(cosines.min()), 6),
            "mean_cosine": round(float(cosines.mean()), 6),
        }
    record = {
        "model": BUNDLED_MODEL_ID,
        "weights_sha256": BUNDLED_WEIGHTS_SHA256,
        "torch": version("torch"),
        "onnxruntime": version("onnxruntime"),
        "probes": len(PROBES),
        "fp32_fused_ops": fused,
        "min_cosine_required": MIN_COSINE,
        "variants": variants,
    }
    onnx_models.write_verification(folder, record)


def ensure_encoder(cache_dir: Path | None = None) -> dict[str, Any]:
    """Export and verify the bundled encoder into its cache (once), and return the verification
    record (what `kbqa index` writes into the manifest)."""
    folder = onnx_models.ensure_exported(
        encoder_cache(cache_dir), export_encoder, [*_FILES.values(), onnx_models.VERIFY_FILE]
    )
    record = onnx_models.read_verification(folder)
    if record is None:
        raise ModelError(f"the query encoder's verification record in {folder} is unreadable")
    return record


class OnnxEmbedder:
    """The bundled model's query encoder on onnxruntime; same signature as the PyTorch one."""

    def __init__(
        self, variant: OnnxVariant = "onnx-int8", *, threads: int = 1, cache_dir: Path | None = None
    ):
        record = ensure_encoder(cache_dir)
        check = record.get("variants", {}).get(variant, {})
        if float(check.get("min_cosine", 0.0)) < MIN_COSINE:
            raise ModelError(
                f"{variant} query encoder disagrees with PyTorch (lowest cosine "
                f"{check.get('min_cosine')} < {MIN_COSINE}); use KBQA_ENCODER_BACKEND=torch"
            )
        path = encoder_cache(cache_dir) / _FILES[variant]
        self.onnx_sha256 = onnx_models.sha256_of(path)
        if self.onnx_sha256 != check.get("sha256"):
            raise ModelError(f"{path} does not match the sha256 it was verified with; delete the folder")
        self.backend = variant
        self.min_cosine = float(check["min_cosine"])
        base = _bundled_model_path()
        self._tokenizer = _tokenizer(base)
        self._session = onnx_models.onnx_session(path, threads)
        self._dim = int(self._session.get_outputs()[0].shape[1] or 384)

    @property
    def model_id(self) -> str:
        return BUNDLED_MODEL_ID

    @property
    def dimension(self) -> int:
        return self._dim

    @property
    def weights_sha256(self) -> str | None:
        # The graph was exported from these weights (the cache key holds their hash).
        return BUNDLED_WEIGHTS_SHA256

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return _run(self._session, self._tokenizer, texts)


def load_embedder(
    model: str = BUNDLED, backend: EncoderBackend = "auto", *, threads: int = 1, cache_dir: Path | None = None
) -> Embedder:
    """The query-time embedder the settings ask for. "auto": the first ONNX variant of
    `AUTO_ORDER` that exports and agrees with PyTorch, else PyTorch. ONNX serves the bundled model
    only (another model folder is served by PyTorch)."""
    if backend == "torch" or (backend == "auto" and model != BUNDLED):
        return SentenceTransformerEmbedder(model, threads=threads)
    if model != BUNDLED:
        raise ModelError(f"KBQA_ENCODER_BACKEND={backend} serves the bundled model only, not {model!r}")
    if backend != "auto":
        return OnnxEmbedder(backend, threads=threads, cache_dir=cache_dir)
    for variant in AUTO_ORDER:
        try:
            return OnnxEmbedder(variant, threads=threads, cache_dir=cache_dir)
        except Exception as exc:  # noqa: BLE001 - any export or load failure falls back, logged
            log.warning("ONNX query encoder %s not used: %s: %s", variant, type(exc).__name__, exc)
    return SentenceTransformerEmbedder(model, threads=threads)
