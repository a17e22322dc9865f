"""Reranker examples from structured pages (training/data/structured/): intranet, product, public
service and encyclopedia pages with headings, lists, tables and FAQs, and questions asked about
them the way users ask, each with its answer's verbatim text.

SQuAD is Wikipedia prose: it has no list items read after their lead-in, no table rows read as
"column: value", no FAQ answers, no heading paths. These examples are cut by the real indexer and
read the way serving reads them: the pages are indexed as a knowledge base, the real pipeline
retrieves each question's pool, and its shortlist's units, formatted by `reading.candidate_texts`,
are the candidates. The positive is the unit that holds the answer text; the negatives are the
pool's other units (what the reranker must reject in production). Pages are split by a hash of
their path into training and held-out pages, so validation asks about pages never trained on.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.embedding import Embedder
from training.config import log
from training.pairs import Example

if TYPE_CHECKING:
    from indexer.chunking import Candidate
    from service.qa.knowledge import KnowledgeBase
    from service.qa.pipeline import QAPipeline
    from training.squad_kb import KbQuestion

SHORTLIST = 12  # candidates whose units make a pool (serving reads 6; deeper gives harder negatives)
HELD_OUT_PREFIXES = ("0", "1", "2")  # sha256(part/doc) hex starts: about 3 in 16 pages held out
_KEYS = {"id", "doc", "question", "answer", "style", "unit"}


@dataclass(frozen=True)
class PageQuestion:
    id: str
    part: str  # the folder under the data root that holds docs/ and questions.jsonl
    doc: str  # file name in the part's docs/
    question: str
    answer: str | None  # verbatim text of the page; None: the page does not say
    style: str
    unit: str | None

    @property
    def path(self) -> str:
        """The document's path relative to the data root, as the indexer records it."""
        return f"{self.part}/docs/{self.doc}"

    @property
    def held_out(self) -> bool:
        return held_out_path(self.path)


def held_out_path(path: str) -> bool:
    """Pages never trained on (the indexer's path relative to the data root)."""
    return hashlib.sha256(path.encode()).hexdigest().startswith(HELD_OUT_PREFIXES)


def load_page_questions(root: Path) -> list[PageQuestion]:
    """Every part's questions.jsonl under root, in part order; a malformed line is an error."""
    out: list[PageQuestion] = []
    for file in sorted(root.glob("*/questions.jsonl")):
        for line_no, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or set(record) != _KEYS:
                raise ValueError(f"{file}:{line_no}: expected the keys {sorted(_KEYS)}")
            answer = record["answer"]
            out.append(
                PageQuestion(
                    str(record["id"]),
                    file.parent.name,
                    str(record["doc"]),
                    str(record["question"]).strip(),
                    None if answer is None else str(answer),
                    str(record["style"]),
                    None if record["unit"] is None else str(record["unit"]),
                )
            )
    return out


def locate(text: str, answer: str) -> tuple[int, int] | None:
    """Where the answer is in the page's canonical text: exactly, else with any run of whitespace
    matching any other (HTML extraction and wrapped lines change spacing); None when it is absent
    or occurs more than once (which unit answers would be a guess)."""
    pattern = r"\s+".join(re.escape(word) for word in answer.split())
    found = [m.span() for m in re.finditer(pattern, text)]
    return found[0] if len(found) == 1 else None


def files_digest(root: Path) -> str:
    """What decides the examples: every page and question file under root."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.glob("*/*") if p.is_file()) + sorted(root.glob("*/docs/*")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def index_pages(root: Path, index: Path, embedder: Embedder) -> Path:
    """The pages under root (`*/docs/*`, not the question files) indexed by the real indexer."""
    from indexer.build import build_index
    from indexer.corpus import CorpusOptions

    log(f"indexing the structured pages of {root}")
    build_index(root, index, embedder, replace=True, options=CorpusOptions(include=("*/docs/*",)))
    return index


def _located(root: Path, kb: KnowledgeBase) -> list[tuple[PageQuestion, str | None, tuple[int, int] | None]]:
    """Each question with its page's doc id (None: the page is not indexed) and its answer's
    range in the page's canonical text (None: no answer, or not found exactly once)."""
    by_path = {doc.path: doc for doc in kb.documents.values()}
    out = []
    for q in load_page_questions(root):
        doc = by_path.get(q.path)
        where = locate(doc.text, q.answer) if doc is not None and q.answer else None
        out.append((q, None if doc is None else doc.doc_id, where))
    return out


def kb_questions(root: Path, kb: KnowledgeBase) -> list[KbQuestion]:
    """The questions as the answer-model fit asks them of the indexed pages: answerable ones with
    their answer's range, near misses (the page does not say) with none. A question whose answer
    is not found once in its page is left out."""
    from training.squad_kb import KbQuestion

    return [
        KbQuestion(f"pages/{q.id}", q.question, doc_id, () if where is None else (where,))
        for q, doc_id, where in _located(root, kb)
        if doc_id is not None and (q.answer is None or where is not None)
    ]


def page_examples(
    root: Path, work: Path, embedder: Embedder | None = None, *, near_misses: bool = False
) -> tuple[list[Example], list[Example], dict[str, int]]:
    """(training examples, held-out examples, counts): one example per answerable question whose
    answer text is found once in its page and lies inside one unit. Near misses become examples
    whose pool units all fail to answer (`positive` -1): the held-out pages' always (validation:
    does the model's probability tell them from answerable questions?), the training pages' with
    `near_misses`."""
    from indexer.embedding import SentenceTransformerEmbedder
    from service.qa.pipeline import QAPipeline

    embedder = embedder or SentenceTransformerEmbedder()
    pipeline = QAPipeline.load(index_pages(root, work / "structured-index", embedder), embedder)
    located = _located(root, pipeline.kb)
    questions = [item for item in located if item[0].answer]
    train: list[Example] = []
    held: list[Example] = []
    counts = {"questions": len(questions), "not_found": 0, "across_units": 0, "added_positive": 0}
    misses = [q for q, doc, _ in located if not q.answer and doc and (near_misses or q.held_out)]
    for q in misses:
        (held if q.held_out else train).append(_near_miss(pipeline, q))
    counts["near_misses"] = sum(not q.held_out for q in misses)
    counts["held_out_near_misses"] = len(misses) - counts["near_misses"]
    for q, doc_id, where in questions:
        if doc_id is None or where is None:
            counts["not_found"] += 1
            continue
        example, added = _example(pipeline, q, doc_id, where)
        if example is None:
            counts["across_units"] += 1
            continue
        counts["added_positive"] += added
        (held if q.held_out else train).append(example)
    counts |= {"train": len(train), "held_out": len(held)}
    return train, held, counts


def _pool_units(pipeline: QAPipeline, question: str) -> tuple[KnowledgeBase, list[Candidate]]:
    """The units the real pipeline reads for a question (its shortlist's, deeper than serving)."""
    from service.qa.features import DEFAULT_WEIGHTS
    from service.qa.reading import shortlist, units_read

    kb = pipeline.kb
    query = kb.analyzer.analyze(question)
    vector, _ = pipeline.embed_question(query)
    full = pipeline.pool(query, pipeline.retriever.retrieve(query, vector, None))
    units, _ = units_read(kb, shortlist(full, DEFAULT_WEIGHTS, SHORTLIST))
    return kb, units


def _near_miss(pipeline: QAPipeline, q: PageQuestion) -> Example:
    """A near miss's example: every unit of its pool, none of which answers (the page does not say)."""
    from service.qa.reading import candidate_texts

    kb, units = _pool_units(pipeline, q.question)
    return Example(q.id, q.question, "", tuple(candidate_texts(kb, units)), -1, (), structured=True)


def _example(
    pipeline: QAPipeline, q: PageQuestion, doc_id: str, where: tuple[int, int]
) -> tuple[Example | None, bool]:
    """(the question's example, whether its positive had to be added to the pool); no example
    when no single unit holds the answer."""
    from service.qa.reading import candidate_texts

    kb, units = _pool_units(pipeline, q.question)
    start, end = where

    def holds(c: Candidate) -> bool:
        return kb.chunks[c.chunk_id].doc_id == doc_id and c.start <= start and end <= c.end

    positives = [u for u in units if holds(u)]
    added = not positives
    if added:  # retrieval missed it: the unit that holds the answer still teaches what answers
        positives = [c for c in kb.candidates if c.first == c.last and holds(c)][:1]
        if not positives:
            return None, False
    said = (q.answer or "").lower()
    negatives = [u for u in units if not holds(u) and said not in kb.span_text(u).lower()]
    texts = candidate_texts(kb, [positives[0], *negatives])
    return Example(q.id, q.question, "", tuple(texts), 0, (), structured=True), added
