"""Fitting how the pipeline combines the reranker with its other signals, on SQuAD articles
indexed as a knowledge base (`training.squad_kb`) — never on the eval sets.

For every question the real pipeline runs up to its candidate pool; the reranker reads the
`MAX_DEPTH` best candidates by the hand-set score; a candidate is right when its span holds one of
SQuAD's answers. Then:
- the span choice: a conditional logit (softmax over each question's shortlist) on the features
  and the reranker's logit, L2-pulled toward the hand-set weights, so that a feature SQuAD cannot
  inform (lists, tables and FAQs are absent from Wikipedia prose) keeps its hand-set weight;
- the shortlist depth: the smallest whose accuracy on the articles left out of the fit is within
  half a point of the best (each read costs a model call);
- abstention: the logistic model of `service.qa.abstention` with the reranker's logit for
  the chosen span as one more signal (service/qa/answer_model.json), and without a reranker
  (service/qa/abstention.json, the default path). The answerable questions are SQuAD's, their
  paraphrases, and each as bare keywords and with a typo (`training.variants`), because users
  type those into a search box; the unanswerable ones are questions of other held-out articles
  and near misses (questions about the indexed articles with the passages holding their answer
  hidden from the search: the topic is there, the fact is not).

    python -m training.combination --kb KB --index INDEX [--paraphrases FILE] [--out answer_model.json]
"""

from __future__ import annotations

import argparse
import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from indexer.embedding import SentenceTransformerEmbedder
from service.api.app import default_reader
from service.config import Settings
from service.qa.abstention import DEFAULT_MODEL_PATH, Signals, fit
from service.qa.answer_model import DEFAULT_ANSWER_MODEL_PATH, AnswerModel
from service.qa.features import DEFAULT_WEIGHTS, FEATURE_NAMES, READER_FEATURE
from service.qa.knowledge import KnowledgeBase
from service.qa.pipeline import QAPipeline
from service.qa.query import AnalyzedQuery
from service.qa.reading import Reader, read, shortlist
from service.qa.retrieval import Retrieved
from service.qa.selection import Pool, choose
from service.qa.signals import abstention_signals
from training.squad_kb import KbQuestion, load_questions
from training.variants import keyword_query, misspelled

MAX_DEPTH = 20
DEPTHS = (6, 8, 10, 12, 16, 20)
PRIOR_STRENGTH = 1.0  # L2 pull toward the hand-set weights, per question of the fit
NAMES = (*FEATURE_NAMES, READER_FEATURE)
# Kept at their hand-set weights: SQuAD's labels cannot inform them. "Holds the answer" is as
# true of a three-sentence window as of the sentence that says it, so the fit would drop the
# length penalty (`overflow`); Wikipedia prose has no tables (`table_scope` is 0 throughout).
HELD_FIXED = ("overflow", "table_scope")


@dataclass
class Record:
    question: KbQuestion
    pool: Pool  # the MAX_DEPTH shortlist, with the reranker feature
    full: Pool  # the whole pool, as the pipeline without a reranker chooses from it
    right: np.ndarray  # bool per candidate: its span holds an answer
    retrieved: Retrieved
    without: dict[str, np.ndarray]
    query: AnalyzedQuery


def hidden_passages(kb: KnowledgeBase, q: KbQuestion) -> np.ndarray | None:
    """The visible-passage mask of a near miss: every passage of its document that overlaps one
    of its answers or says an answer's text anywhere (so the fact is gone, not just one mention of
    it); None for other questions."""
    if not q.hidden:
        return None
    text = kb.documents[q.doc_id].text
    answers = {text[s:e].lower() for s, e in q.hidden}
    visible = np.ones(len(kb.chunks), dtype=bool)
    for chunk in kb.chunks:
        if chunk.doc_id != q.doc_id:
            continue
        body = text[chunk.start : chunk.end].lower()
        if any(s < chunk.end and chunk.start < e for s, e in q.hidden) or any(a in body for a in answers):
            visible[chunk.chunk_id] = False
    return visible


def collect(pipeline: QAPipeline, reader: Reader, questions: list[KbQuestion]) -> list[Record]:
    from tqdm import tqdm

    kb, records = pipeline.kb, []
    for q in tqdm(questions, desc="questions", mininterval=10):
        query = kb.analyzer.analyze(q.question)
        if not query.coverage_terms:
            continue
        vector, without = pipeline.embed_question(query)
        retrieved = pipeline.retriever.retrieve(query, vector, hidden_passages(kb, q))
        full = pipeline.pool(query, retrieved)
        pool = read(kb, shortlist(full, DEFAULT_WEIGHTS, MAX_DEPTH), query.repaired, reader)
        right = np.array(
            [
                kb.chunks[c.chunk_id].doc_id == q.doc_id
                and any(c.start <= s and e <= c.end for s, e in q.answers)
                for c in pool.candidates
            ],
            dtype=bool,
        )
        records.append(Record(q, pool, full, right, retrieved, without, query))
    return records


def typed(questions: list[KbQuestion]) -> list[KbQuestion]:
    """Each answerable question as bare keywords and with a typo (`training.variants`). Varying
    the unanswerable ones as well was tried: no better on the SQuAD check articles (AUC 0.954
    against 0.952), and worse with the reranker on the eval sets (199 against 203 right)."""
    out = []
    for q in questions:
        if not q.answerable:
            continue
        for suffix, text in (("k", keyword_query(q.question)), ("t", misspelled(q.question, q.id))):
            if text is not None:
                out.append(KbQuestion(f"{q.id}/{suffix}", text, q.doc_id, q.answers))
    return out


def paraphrased(questions: list[KbQuestion], files: list[Path]) -> list[KbQuestion]:
    """The questions reworded (same answers), for those of `questions` a file rewords."""
    by_id = {q.id: q for q in questions}
    out = []
    for n, path in enumerate(files):
        suffix = "/p" if n == 0 else f"/p{n}"  # files may reword the same question: ids stay unique
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if (q := by_id.get(row["id"])) is not None:
                out.append(KbQuestion(q.id + suffix, row["question"], q.doc_id, q.answers, q.hidden))
    return out


def matrix(pool: Pool) -> np.ndarray:
    return np.stack([pool.features[n] for n in NAMES], axis=1)


def _objective(
    w: np.ndarray, data: list[tuple[np.ndarray, np.ndarray]], prior: np.ndarray
) -> tuple[float, np.ndarray]:
    loss, grad = 0.0, np.zeros_like(w)
    for x, right in data:
        z = x @ w
        z = z - z.max()
        p = np.exp(z) / np.exp(z).sum()
        pos = p * right
        loss -= float(np.log(pos.sum() + 1e-12))
        grad += p @ x - (pos / (pos.sum() + 1e-12)) @ x
    n = max(len(data), 1)
    diff = w - prior
    return loss / n + PRIOR_STRENGTH * float(diff @ diff) / n, grad / n + 2 * PRIOR_STRENGTH * diff / n


def fit_weights(records: list[Record], depth: int) -> dict[str, float]:
    """Conditional-logit weights on the `depth` shortlist of every question with a right span in it."""
    data = []
    for r in records:
        pool = shortlist(r.pool, DEFAULT_WEIGHTS, depth)
        keep = np.isin(r.pool.rows, pool.rows)
        if r.right[keep].any():
            data.append((matrix(pool), r.right[keep].astype(np.float64)))
    prior = np.array([DEFAULT_WEIGHTS.get(n, 0.0) for n in NAMES]) * 10  # hand-set score scale
    bounds = [(p, p) if n in HELD_FIXED else (None, None) for n, p in zip(NAMES, prior, strict=True)]
    result = minimize(
        _objective, prior.copy(), args=(data, prior), jac=True, bounds=bounds, method="L-BFGS-B"
    )
    return {n: float(v) for n, v in zip(NAMES, result.x, strict=True)}


def chosen(pipeline: QAPipeline, r: Record, weights: dict[str, float], depth: int) -> tuple[Pool, int, bool]:
    pool = shortlist(r.pool, DEFAULT_WEIGHTS, depth)
    best = choose(pipeline.kb, pool, weights)
    keep = np.isin(r.pool.rows, pool.rows)
    return pool, best, bool(best >= 0 and r.right[keep][best])


def accuracy(pipeline: QAPipeline, records: list[Record], weights: dict[str, float], depth: int) -> float:
    answerable = [r for r in records if r.question.answerable]
    return sum(chosen(pipeline, r, weights, depth)[2] for r in answerable) / max(len(answerable), 1)


def signals(pipeline: QAPipeline, r: Record, weights: dict[str, float], depth: int) -> Signals:
    pool, best, _ = chosen(pipeline, r, weights, depth)
    return abstention_signals(pipeline.kb, pipeline.lexical, r.query, r.retrieved, pool, best, r.without)


def plain_signals(pipeline: QAPipeline, r: Record) -> Signals:
    """The abstention signals of the pipeline without a reranker (hand-set span scores)."""
    best = choose(pipeline.kb, r.full, DEFAULT_WEIGHTS)
    return abstention_signals(pipeline.kb, pipeline.lexical, r.query, r.retrieved, r.full, best, r.without)


def candidate_depths(max_depth: int = 0) -> list[int]:
    """The depths the fit tries: all of DEPTHS, or those up to `max_depth` (0: no cap), or the
    cap itself when it is below them all."""
    return [d for d in DEPTHS if not max_depth or d <= max_depth] or [max_depth]


def pick_depth(
    pipeline: QAPipeline, fit_part: list[Record], check: list[Record], max_depth: int = 0
) -> tuple[int, dict[str, object]]:
    """The smallest depth within half a point of the best on the check articles, among those
    up to `max_depth` (0: all): each unit read costs a model call, so the latency budget caps it."""
    base = dict(DEFAULT_WEIGHTS) | {READER_FEATURE: 0.0}
    alone = dict.fromkeys(NAMES, 0.0) | {READER_FEATURE: 1.0}
    results = {}
    for depth in candidate_depths(max_depth):
        weights = fit_weights(fit_part, depth)
        results[depth] = accuracy(pipeline, check, weights, depth)
        print(
            f"depth {depth:2d}: check accuracy hand-set {accuracy(pipeline, check, base, depth):.3f},",
            f"reranker alone {accuracy(pipeline, check, alone, depth):.3f}, fitted {results[depth]:.3f}",
            json.dumps({k: round(v, 2) for k, v in weights.items()}),
        )
    best = max(results.values())
    depth = min(d for d, acc in results.items() if acc >= best - 0.005)
    return depth, {"check_accuracy": {str(d): round(a, 4) for d, a in results.items()}}


def _page_records(
    root: Path,
    index: Path | None,
    cache: Path | None,
    embedder: SentenceTransformerEmbedder,
    reader: Reader,
) -> tuple[QAPipeline, list[Record]]:
    """The structured pages' questions run through their own knowledge base (answerable ones and
    near misses the pages do not answer: user phrasing over lists, tables and FAQs, which the
    SQuAD articles lack)."""
    from training.structured import index_pages, kb_questions

    if index is None:
        raise SystemExit("--pages needs --pages-index")
    if not (index / "current").exists():
        index_pages(root, index, embedder)
    pages = QAPipeline.load(index, embedder)
    if cache and cache.is_file():
        return pages, pickle.loads(cache.read_bytes())
    records = collect(pages, reader, kb_questions(root, pages.kb))
    if cache:
        cache.write_bytes(pickle.dumps(records))
    return pages, records


def _page_check(
    pages: QAPipeline, page_records: list[Record], fit_part: list[Record], depth: int
) -> dict[str, object]:
    """Span-choice accuracy on the held-out pages' questions, fitted without them."""
    from training.structured import held_out_path

    held = {d.doc_id for d in pages.kb.documents.values() if held_out_path(d.path)}
    check = [r for r in page_records if r.question.doc_id in held]
    weights = fit_weights(fit_part + [r for r in page_records if r.question.doc_id not in held], depth)
    base = dict(DEFAULT_WEIGHTS) | {READER_FEATURE: 0.0}
    alone = dict.fromkeys(NAMES, 0.0) | {READER_FEATURE: 1.0}
    out: dict[str, object] = {
        name: round(accuracy(pages, check, w, depth), 4)
        for name, w in (("hand_set", base), ("reranker_alone", alone), ("fitted", weights))
    }
    print(f"held-out pages ({sum(r.question.answerable for r in check)} questions): {out}")
    return out | {"questions": sum(r.question.answerable for r in check)}


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kb", type=Path, required=True, help="folder written by training.squad_kb")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--paraphrases", type=Path, nargs="*", default=[], help="{id, question} JSON lines")
    parser.add_argument("--off-topic-every", type=int, default=3, help="take every n-th off-topic question")
    parser.add_argument("--cache", type=Path, default=None, help="pickle of collected records")
    parser.add_argument("--out", type=Path, default=DEFAULT_ANSWER_MODEL_PATH)
    parser.add_argument(
        "--abstention-out", type=Path, default=DEFAULT_MODEL_PATH, help="model without reranker"
    )
    parser.add_argument("--depth", type=int, default=0, help="shortlist depth (0: chosen on check articles)")
    parser.add_argument(
        "--max-depth", type=int, default=0, help="largest depth the choice may take (0: any; latency)"
    )
    parser.add_argument(
        "--reranker", default="bundled", help="'bundled', a model folder or a cross-encoder's hub name"
    )
    parser.add_argument(
        "--pages", type=Path, default=None, help="structured pages + questions (training/data)"
    )
    parser.add_argument("--pages-index", type=Path, default=None, help="where to index them")
    parser.add_argument("--pages-cache", type=Path, default=None, help="pickle of their collected records")
    return parser.parse_args()


def _squad_records(args: argparse.Namespace, pipeline: QAPipeline, reader: Reader) -> list[Record]:
    """The SQuAD knowledge base's questions run through the pipeline (or the cached records)."""
    if args.cache and args.cache.is_file():
        records: list[Record] = pickle.loads(args.cache.read_bytes())
        return records
    questions = load_questions(args.kb / "questions.jsonl")
    off_topic = [q for q in questions if not q.answerable and not q.hidden]
    asked = [q for q in questions if q.answerable]
    near = [q for q in questions if q.hidden]
    questions = asked + off_topic[:: args.off_topic_every] + near
    questions += paraphrased(questions, args.paraphrases) + typed(asked)
    records = collect(pipeline, reader, questions)
    if args.cache:
        args.cache.write_bytes(pickle.dumps(records))
    return records


def main() -> None:
    args = _parse_args()
    embedder = SentenceTransformerEmbedder()
    pipeline = QAPipeline.load(args.index, embedder)
    # The backend serving picks ("auto"), so the weights fit the logits it will see.
    reader = default_reader(Settings(reranker=args.reranker, reranker_backend="auto"))
    if reader is None:
        raise SystemExit("--reranker off: there is nothing to fit the answer model for")
    records = _squad_records(args, pipeline, reader)
    sources = [(pipeline, records)]  # each record with the knowledge base it was asked of
    if args.pages:
        sources.append(_page_records(args.pages, args.pages_index, args.pages_cache, embedder, reader))
    page_records = [r for _, rs in sources[1:] for r in rs]
    docs = sorted({r.question.doc_id for r in records if r.question.answerable})
    held = set(docs[1::3])  # a third of the articles checks the fit
    fit_part = [r for r in records if r.question.doc_id not in held]
    check = [r for r in records if r.question.doc_id in held]
    print(f"{len(records)} questions; fit on {len(fit_part)}, check on {len(check)}")
    report: dict[str, object] = {}
    depth = args.depth
    if not depth:
        depth, report = pick_depth(pipeline, fit_part, check, args.max_depth)
    if len(sources) > 1:
        report["pages"] = _page_check(*sources[1], fit_part, depth)
    weights = fit_weights(records + page_records, depth)
    answerable = [r.question.answerable for r in records + page_records]
    abstention = fit([signals(p, r, weights, depth) for p, rs in sources for r in rs], answerable)
    provenance = {
        "fitted_by": "python -m training.combination (make fit)",
        "reranker": reader.identity,  # the logits these weights are for (AnswerModel.check_reader)
        "questions": {
            "answerable": sum(answerable),
            "off_topic": sum(not r.question.answerable and not r.question.hidden for r in records),
            "near_miss": sum(bool(r.question.hidden) for r in records),
        },
        "accuracy_on_fit_questions": round(accuracy(pipeline, records, weights, depth), 4),
        **report,
    }
    if page_records:
        provenance["structured_pages"] = {
            "answerable": sum(r.question.answerable for r in page_records),
            "near_miss": sum(not r.question.answerable for r in page_records),
        }
    model = AnswerModel(depth, weights, abstention, provenance)
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    print(f"depth {depth}; answer model written to {args.out}")
    plain = fit([plain_signals(p, r) for p, rs in sources for r in rs], answerable)
    args.abstention_out.write_text(plain.to_json() + "\n", encoding="utf-8")
    print(f"abstention model without the reranker written to {args.abstention_out}")


if __name__ == "__main__":
    main()
