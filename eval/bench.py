"""Speed and memory benchmark: prints figures, asserts nothing.

    python -m eval.bench [--index index] [--corpus corpus] [--repeat 3]

Measures model load, index build, knowledge-base load, and /ask and /search latency in process
over the eval questions, plus the process's peak resident memory."""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from eval.dataset import DEFAULT_DATASET, load_dataset
from indexer.build import build_index
from indexer.embedding import SentenceTransformerEmbedder
from service.qa.pipeline import QAPipeline


def _pct(values: list[float], pct: float) -> float:
    return float(np.percentile(values, pct))


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    print(f"model load                 {time.perf_counter() - started:8.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "index"
        started = time.perf_counter()
        manifest = build_index(args.corpus, out, embedder)
        build_s = time.perf_counter() - started
        counts = manifest["counts"]
        print(
            f"index build                {build_s:8.2f} s  ({counts['documents']} docs, "
            f"{counts['chunks']} passages, {counts['candidates']} spans)"
        )
        started = time.perf_counter()
        kb = QAPipeline.load(out, embedder)
        print(f"knowledge base load        {time.perf_counter() - started:8.2f} s")
        questions = [q.question for q in load_dataset(DEFAULT_DATASET)]
        kb.ask(questions[0], 5)  # warm-up
        ask_ms = [t for q in questions for t in _timed(partial(kb.ask, q, 5), args.repeat)]
        search_ms = [t for q in questions for t in _timed(partial(kb.search, q[:12], 8), args.repeat)]
    for name, values in (("ask", ask_ms), ("search (12-char prefix)", search_ms)):
        print(
            f"{name:<26} p50 {statistics.median(values):6.1f} ms  p95 {_pct(values, 95):6.1f} ms  "
            f"max {max(values):6.1f} ms  ({len(values)} calls, "
            f"{1000 / statistics.mean(values):.0f}/s one thread)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory       {peak:8.0f} MiB")


if __name__ == "__main__":
    main()
