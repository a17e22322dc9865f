"""Export the trained reranker to ONNX (fp32 and dynamic int8) and check that it agrees with PyTorch.

    python -m training.export --model service/models/reranker [--data WORK/data-*.json.gz] \
        [--questions 300] [--json-out FILE]

The ONNX graphs are not committed (they would carry the bundled token embeddings, which the
repository deliberately does not copy): `service.reranker.Reranker` exports them on first use into
a cache folder. This command runs the same export, then measures what the serving choice rests on:
- agreement: max |p_onnx - p_torch| and how often the top-1 candidate is the same, on held-out
  SQuAD validation pools (from the training run's data cache) or, without it, the built-in probes;
- accuracy of each backend on those pools (int8 must not cost ranking accuracy);
- latency of scoring 30 candidates of up to ~96 tokens, 1 and 2 threads, per backend.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from service.reranker import _PROBES, DEFAULT_FOLDER, Reranker, encode_pairs
from training.pairs import Example, validation_pool

BACKENDS = ("torch", "onnx-fp32", "onnx-int8")


def load_val(path: Path) -> list[Example]:
    raw = json.loads(gzip.decompress(path.read_bytes()))
    return [Example.from_json(e) for e in raw["val"]]


def pools(examples: Sequence[Example], retrieved: int) -> list[tuple[str, list[str], int, int]]:
    out = []
    for e in examples:
        candidates, positive, n_para = validation_pool(e, retrieved=retrieved)
        out.append((e.question, candidates, positive, n_para))
    return out


def latency_set(
    reranker: Reranker, examples: Sequence[Example], n: int = 30, max_tokens: int = 96
) -> tuple[str, list[str]]:
    """A question and n candidates whose pair length is at most max_tokens, longest first, so the
    measure is of realistic worst-case candidates rather than of short ones."""
    if not examples:
        question, candidates = _PROBES[1][0], [c for _, cs in _PROBES for c in cs]
        return question, (candidates * n)[:n]
    question = examples[0].question
    texts = [c for e in examples[:50] for c in validation_pool(e, retrieved=16)[0]]
    lengths = encode_pairs(reranker.tokenizer, question, texts)["attention_mask"].sum(axis=1)
    ranked = sorted((int(t), i) for i, t in enumerate(lengths) if t <= max_tokens)
    chosen = [texts[i] for _, i in ranked[-n:]]
    return question, chosen


def measure(model: Path, examples: Sequence[Example], cache: Path | None) -> dict[str, Any]:
    report: dict[str, Any] = {"backends": {}}
    scored: dict[str, list[np.ndarray]] = {}
    items = pools(examples, 16) if examples else [(q, list(c), 0, len(c)) for q, c in _PROBES]
    lat_question: str = ""
    lat_candidates: list[str] = []
    for backend in BACKENDS:
        reranker = Reranker(model, backend=backend, threads=2, cache_dir=cache)  # type: ignore[arg-type]
        if not lat_candidates:
            lat_question, lat_candidates = latency_set(reranker, examples)
            lengths = encode_pairs(reranker.tokenizer, lat_question, lat_candidates)["attention_mask"].sum(
                axis=1
            )
            report["latency_set"] = {
                "candidates": len(lat_candidates),
                "max_tokens": int(lengths.max()),
                "mean_tokens": float(lengths.mean()),
            }
        scores = [reranker.score(q, c) for q, c, _, _ in items]
        scored[backend] = scores
        entry: dict[str, Any] = {}
        if examples:
            entry["pool_top1"] = float(
                np.mean([int(np.argmax(s)) == p for s, (_, _, p, _) in zip(scores, items, strict=True)])
            )
            entry["in_paragraph_top1"] = float(
                np.mean([int(np.argmax(s[:k])) == p for s, (_, _, p, k) in zip(scores, items, strict=True)])
            )
        if backend != "torch":
            ref = scored["torch"]
            diffs = np.concatenate([np.abs(a - b) for a, b in zip(scores, ref, strict=True)])
            entry["max_abs_diff"], entry["mean_abs_diff"] = float(diffs.max()), float(diffs.mean())
            entry["top1_agreement"] = float(
                np.mean([int(np.argmax(a)) == int(np.argmax(b)) for a, b in zip(scores, ref, strict=True)])
            )
        for threads in (1, 2):
            timed = Reranker(model, backend=backend, threads=threads, cache_dir=cache)  # type: ignore[arg-type]
            timed.score(lat_question, lat_candidates)  # warm-up
            runs = []
            for _ in range(15):
                t0 = time.perf_counter()
                timed.score(lat_question, lat_candidates)
                runs.append((time.perf_counter() - t0) * 1000)
            entry[f"latency_ms_{threads}t"] = {
                "p50": round(statistics.median(runs), 1),
                "min": round(min(runs), 1),
            }
        report["backends"][backend] = entry
        print(json.dumps({backend: entry}), flush=True)
    auto = Reranker(model, backend="auto", threads=2, cache_dir=cache)
    report["auto_backend"] = auto.backend_used
    report["auto_agreement_on_probes"] = auto.agreement
    report["questions"] = len(items)
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--data", type=Path, help="data-*.json.gz of the training run (held-out pools)")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--cache", type=Path, help="ONNX cache folder (default: the service's)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    examples = load_val(args.data)[: args.questions] if args.data else []
    report = measure(args.model, examples, args.cache)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
