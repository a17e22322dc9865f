"""ONNX export, int8 quantisation, a verified on-disk cache and onnxruntime sessions: what the
query encoder (`indexer/onnx_embedding.py`) and the reranker (`service/reranker.py`) share.

Why ONNX: onnxruntime runs a short BERT query in a fraction of PyTorch's time on two cores and
loads without importing torch, which is most of a cold start. PyTorch stays the reference: every
exported graph is checked against it before use, and what was checked is saved next to it.

Nothing heavy is imported here at module level: torch and onnxruntime are imported by the
functions that need them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
VERIFY_FILE = "verify.json"


def cache_root(kind: str) -> Path:
    """$KBQA_CACHE_DIR/<kind>, else ~/.cache/kbqa/<kind> (XDG_CACHE_HOME respected). Read from the
    environment here, not Settings: the indexer and the trainer use it without a service."""
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kbqa"
    return Path(os.environ.get("KBQA_CACHE_DIR") or xdg) / kind


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def cache_key(*parts: str) -> str:
    """A short digest of what an exported graph depends on (weights, config, library versions)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def export_onnx(
    model: Any,
    path: Path,
    input_names: Sequence[str],
    output_name: str,
    output_axes: dict[int, str],
) -> None:
    """Export an fp32 graph whose int64 inputs have dynamic batch and sequence axes (TorchScript
    exporter: it needs no extra packages and handles BERT's dynamic shapes)."""
    import torch

    dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in input_names)
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "sequence"} for name in input_names}
    with warnings.catch_warnings():  # the tracer's notes on BERT's shape checks are expected
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, dummy, str(path), input_names=list(input_names), output_names=[output_name],
            dynamic_axes={**axes, output_name: output_axes}, opset_version=17, dynamo=False,
        )  # fmt: skip


def quantize_int8(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def fuse_bert(graph: Path, fused: Path, heads: int, hidden: int) -> dict[str, int]:
    """onnxruntime's transformer fusions written into the graph: each layer's attention as one
    Attention op (Q, K and V in one product), residual + LayerNorm as SkipLayerNormalization, the
    embeddings as EmbedLayerNormalization. A short query ran ~266 nodes; fused it runs 58 and
    costs ~5% less CPU. The outputs move by about 1e-7 (the sums are grouped differently), and the
    fused graph is what the check against PyTorch then compares. Returns the fused op counts."""
    from onnxruntime.transformers import optimizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = optimizer.optimize_model(
            str(graph), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0
        )
    model.save_model_to_file(str(fused))
    return {op: int(n) for op, n in model.get_fused_operator_statistics().items() if n}


def onnx_session(path: Path, threads: int) -> Any:
    """A CPU session with `threads` intra-op threads and no inter-op pool: several server workers
    each get a share of the cores rather than all of them (workers x threads <= cores)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads sleep instead of spinning: a spinning thread takes a core that another
    # request's Python work (or another worker) needs, which costs more than the wake-up.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ensure_exported(cache: Path, export: Callable[[Path], None], files: Sequence[str]) -> Path:
    """The cache folder, filled by `export(folder)` once (until it holds all of `files`): written
    to a temporary folder beside it and renamed, so a crash (or a second process exporting at the
    same time) never leaves a half-written model behind."""
    if all((cache / name).is_file() for name in files):
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
        work = Path(tmp) / "model"
        work.mkdir()
        export(work)
        if cache.exists() and not all((cache / name).is_file() for name in files):
            _remove_tree(cache)  # an incomplete folder from an older version of this code
        if not cache.exists():
            work.replace(cache)
    return cache


def write_verification(folder: Path, record: dict[str, Any]) -> None:
    """Save what the check against PyTorch measured, with each graph's sha256, beside the graphs."""
    tmp = folder / (VERIFY_FILE + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(folder / VERIFY_FILE)


def read_verification(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / VERIFY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
