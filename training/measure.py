"""How the trained reranker would choose answers on a knowledge base, against today's pipeline:
for each answerable question, the span the pipeline chooses, the span the reranker ranks first
in the same candidate pool, and whether any candidate of the pool is right (the ceiling).
Measurement only: nothing is fitted here.

    python -m training.measure --index INDEX --dataset QUESTIONS.jsonl [--model service/models/reranker]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eval.dataset import load_dataset
from eval.measures import matches_evidence
from indexer.embedding import SentenceTransformerEmbedder
from service.qa.pipeline import QAPipeline
from service.qa.reading import candidate_texts, spelled_out
from service.qa.selection import candidate_pool, choose
from service.reranker import DEFAULT_FOLDER, Reranker


def judge(
    pipeline: QAPipeline, reranker: Reranker, question: str, evidence: list[str], passages: int
) -> tuple[bool, bool, bool, int]:
    """(pipeline right, reranker right, any candidate right, candidates scored) for one question."""
    kb = pipeline.kb
    query = kb.analyzer.analyze(question)
    retrieved = pipeline.retriever.retrieve(query, pipeline.embedder.embed([query.repaired])[0])
    pool = candidate_pool(kb, pipeline.lexical, query, retrieved, passages)
    if not pool.rows:
        return False, False, False, 0
    spans = [kb.span_text(c) for c in pool.candidates]
    inputs = candidate_texts(kb, pool.candidates)
    probabilities = reranker.score(spelled_out(kb.analyzer.acronyms, query.repaired), inputs)
    chosen = choose(kb, pool, pipeline.tuning.answer)
    return (
        matches_evidence(spans[chosen], evidence),
        matches_evidence(spans[int(np.argmax(probabilities))], evidence),
        any(matches_evidence(s, evidence) for s in spans),
        len(inputs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--passages", type=int, default=4)
    parser.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx-fp32", "onnx-int8"])
    args = parser.parse_args()
    pipeline = QAPipeline.load(args.index, SentenceTransformerEmbedder())
    reranker = Reranker(args.model, backend=args.backend)
    answerable = [q for q in load_dataset(args.dataset) if q.answerable]
    started = time.perf_counter()
    results = [judge(pipeline, reranker, q.question, q.evidence, args.passages) for q in answerable]
    seconds = time.perf_counter() - started
    n = max(len(results), 1)
    print(f"{args.dataset}: {len(results)} answerable questions, reranker backend {reranker.backend_used}")
    for i, name in enumerate(("pipeline", "reranker", "ceiling")):
        count = sum(r[i] for r in results)
        print(f"  {name:<9} {count:4d} right ({count / n:.3f})")
    pairs = sum(r[3] for r in results)
    print(f"  {pairs / n:.1f} candidates a question; {1000 * seconds / n:.0f} ms a question in all")


if __name__ == "__main__":
    main()
