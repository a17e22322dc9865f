"""The large-index figures (a script, not a test):

    python -m eval.large build --passages 1000000 --out /tmp/kbqa-1m
    python -m eval.large measure --index /tmp/kbqa-1m

`build` generates the synthetic corpus (`eval.synthetic`) and builds the bulk index, printing its
manifest (index type and parameters, recall@10 against exact search, the time of each stage).
`measure` loads the index in this process (with `--with-model`, the query encoder too) and
reports: load time, search latency (dense alone, and fused with BM25) over queries near stored
passages, the fused search's agreement with (and latency of) the exhaustive BM25 it replaced,
the process's resident memory (VmRSS, its peak VmHWM, and the anonymous and file-backed parts)
after load and after the queries, and recall@10 of the dense search against exact search on
those queries."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.synthetic import Shape, generate, synthesise_vectors
from indexer import ann
from indexer.bulk import BulkInput, build_bulk_index, pack_strings


def build(passages: int, out: Path, exact_max: int) -> dict[str, Any]:
    started = time.perf_counter()
    corpus = generate(Shape(passages))
    vectors = np.lib.format.open_memmap(
        out.with_name(out.name + ".vectors.npy"), mode="w+", dtype=np.float32, shape=(passages, 384)
    )
    synthesise_vectors(corpus, vectors)
    texts = pack_strings([corpus.text(r) for r in range(corpus.passages)])
    generated = round(time.perf_counter() - started, 1)
    manifest = build_bulk_index(
        BulkInput(
            vectors,
            corpus.token_indptr,
            corpus.token_ids,
            corpus.vocabulary,
            corpus.doc_of,
            corpus.heading_of,
            texts,
            corpus.titles,
            corpus.headings,
            exact_max,
            extra={"generator": "eval.synthetic", "passages": passages, "generate_seconds": generated},
        ),
        out,
    )
    out.with_name(out.name + ".vectors.npy").unlink()
    return manifest


def _rss_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile")):
            name, value = line.split(":")
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _percentiles(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100)
    return {"p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "p99_ms": round(q[98], 2)}


def _exhaustive(
    search: Any, qs: np.ndarray, terms: list[list[str]], fused_top: list[list[int]]
) -> dict[str, Any]:
    """The fused search with BM25 scored for every passage (`exhaustive_ranked`, the way it was
    done before the postings path): its latency, and how much of its top 10 the measured search
    returned (recall@10 against it; 1.0 when the two agree, as an exact method should)."""
    from service.qa.bulk import exhaustive_ranked

    wall_ms, cpu_ms, recall, identical = [], [], [], 0
    for q, t, got in zip(qs, terms, fused_top, strict=True):
        w, c = time.perf_counter(), time.process_time()
        rows = [int(r) for r in exhaustive_ranked(search, q, t)[0][:10]]
        wall_ms.append((time.perf_counter() - w) * 1000)
        cpu_ms.append((time.process_time() - c) * 1000)
        recall.append(len(set(rows) & set(got)) / max(1, len(rows)))
        identical += rows == got
    return {
        "search": _percentiles(wall_ms),
        "cpu": _percentiles(cpu_ms),
        "fused_recall_at_10": round(float(np.mean(recall)), 4),
        "identical_top_10": identical,
    }


def measure(index: Path, queries: int, seed: int, with_model: bool = False) -> dict[str, Any]:
    """Latency and memory first (a search touches what a service's would), then recall against
    exact search, which reads the whole matrix and so comes last."""
    from service.qa.bulk import BulkSearch  # eval may import the service; loaded here to time it

    started = time.perf_counter()
    search = BulkSearch(index)
    load_seconds = round(time.perf_counter() - started, 2)
    model: dict[str, Any] = {}
    if with_model:  # the query encoder a service holds too (ONNX fp32, as `kbqa serve` loads it)
        from indexer.onnx_embedding import load_embedder
        from service.config import Settings

        embedder = load_embedder(threads=Settings().intra_op_threads)
        embedder.embed(["warm-up"])
    after_load = _rss_mb()
    qs = ann.sample_queries(search.vectors, queries, noise=0.8, seed=seed)
    rng = np.random.default_rng(seed)
    vocab = list(search.lexical._bm25.vocab_dict)
    terms = [[str(t) for t in rng.choice(vocab[:5000], size=4)] for _ in range(queries)]
    dense_ms, hybrid_ms, encode_ms, hybrid_cpu_ms, fused_top = [], [], [], [], []
    for q, t in zip(qs, terms, strict=True):
        t0 = time.perf_counter()
        if with_model:
            embedder.embed([" ".join(t)])
        t1 = time.perf_counter()
        search.dense.search(q, 10)
        t2, c2 = time.perf_counter(), time.process_time()
        fused_top.append([hit.row for hit in search.search(q, t, 10)])
        t3, c3 = time.perf_counter(), time.process_time()
        hybrid_cpu_ms.append((c3 - c2) * 1000)  # CPU time, all threads: steadier on a shared machine
        encode_ms.append((t1 - t0) * 1000)
        dense_ms.append((t2 - t1) * 1000)
        hybrid_ms.append((t3 - t2) * 1000)
    after_queries = _rss_mb()
    if with_model:
        model = {"query_encoding": _percentiles(encode_ms)}
    exhaustive = _exhaustive(search, qs, terms, fused_top)
    truth = ann.exact_top(search.vectors, qs, 10)
    return {
        "index": str(index),
        "passages": int(len(search.vectors)),
        "dense_index": search.manifest["dense"],
        "build_timings": search.manifest["timings"],
        "load_seconds": load_seconds,
        "queries": queries,
        "with_model": with_model,
        "dense_search": _percentiles(dense_ms),
        "hybrid_search": _percentiles(hybrid_ms),
        "hybrid_search_cpu": _percentiles(hybrid_cpu_ms),
        "hybrid_exhaustive": exhaustive,
        **model,
        "rss_mb_after_load": after_load,
        "rss_mb_after_queries": after_queries,
        "recall_at_10_vs_exact": round(ann.recall_at_k(search.dense, qs, truth, 10), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--passages", type=int, default=1_000_000)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--exact-max", type=int, default=ann.EXACT_MAX)
    m = sub.add_parser("measure")
    m.add_argument("--index", type=Path, required=True)
    m.add_argument("--queries", type=int, default=1000)
    m.add_argument("--seed", type=int, default=7)
    m.add_argument("--json", type=Path, help="also write the figures here")
    m.add_argument("--with-model", action="store_true", help="load the query encoder too (its memory)")
    args = parser.parse_args()
    if args.command == "build":
        result = build(args.passages, args.out, args.exact_max)
    else:
        result = measure(args.index, args.queries, args.seed, args.with_model)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
