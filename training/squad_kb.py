"""SQuAD articles as a knowledge base, for fitting how the pipeline combines its signals.

The reranker never trained on the held-out articles (`training.squad.is_held_out`), so its
probabilities on them are what it gives on an unseen knowledge base. Some held-out articles become
Markdown files of a corpus (title as heading, paragraphs as they are); questions on them are
answerable, located by SQuAD's answer offsets mapped into the file's text. Questions on the other
held-out articles are asked of the same knowledge base as unanswerable ones. The eval sets play
no part here.

    python -m training.squad_kb --squad train-v1.1.json.gz --out /tmp/squad-kb [--articles 24]
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.corpus import doc_id_for
from training.squad import Article, load_squad

KB_SEED = 29


@dataclass(frozen=True)
class KbQuestion:
    """A question asked of the knowledge base; `answers` are (start, end) character ranges in
    document `doc_id` (empty for a question the knowledge base does not answer). A near miss has
    no answers but `hidden` ones: the passages holding them are hidden from its search, so it asks
    about a topic the knowledge base covers, for a fact it does not hold (the unanswerable
    questions users ask are mostly of this kind, not about other topics)."""

    id: str
    question: str
    doc_id: str
    answers: tuple[tuple[int, int], ...]
    hidden: tuple[tuple[int, int], ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def article_text(article: Article) -> tuple[str, list[int]]:
    """The file's text and where each paragraph starts in it."""
    text = f"# {article.display_title}\n\n"
    starts = []
    for paragraph in article.paragraphs:
        starts.append(len(text))
        text += paragraph.context.strip() + "\n\n"
    return text, starts


def split_articles(articles: list[Article], n_kb: int) -> tuple[list[Article], list[Article]]:
    """(knowledge-base articles, off-topic articles), both held out from reranker training."""
    held = sorted((a for a in articles if a.held_out), key=lambda a: a.title)
    random.Random(KB_SEED).shuffle(held)
    return held[:n_kb], held[n_kb:]


def _located(article: Article, starts: list[int], text: str) -> list[KbQuestion]:
    doc_id = doc_id_for(f"{article.title}.md")
    found = []
    for paragraph, start in zip(article.paragraphs, starts, strict=True):
        lead = len(paragraph.context) - len(paragraph.context.lstrip())
        for q in paragraph.questions:
            spans = tuple(
                (start + a.start - lead, start + a.start - lead + len(a.text))
                for a in q.answers
                if text[start + a.start - lead : start + a.start - lead + len(a.text)] == a.text
            )
            if spans:
                found.append(KbQuestion(q.id, q.question.strip(), doc_id, spans))
    return found


def near_misses(
    found: list[KbQuestion], sampled: list[KbQuestion], n: int, rng: random.Random
) -> list[KbQuestion]:
    """`n` of the located questions not sampled as answerable, turned into near misses."""
    taken = {q.id for q in sampled}
    rest = [q for q in found if q.id not in taken]
    return [
        KbQuestion(f"{q.id}/near", q.question, q.doc_id, (), q.answers)
        for q in rng.sample(rest, min(n, len(rest)))
    ]


def write_kb(
    articles: list[Article],
    out: Path,
    n_kb: int,
    per_article: int,
    off_topic_per_article: int,
    indexed: int,
    near_miss_per_article: int = 0,
) -> list[KbQuestion]:
    """Writes out/corpus/*.md and returns the questions (answerable first, then off-topic, then
    near misses).
    Of the `n_kb` sampled articles only the first `indexed` are written: the questions sampled
    from the others are asked as off-topic ones (a smaller knowledge base indexes faster and keeps
    the same questions, and so the same paraphrases)."""
    kb, others = split_articles(articles, n_kb)
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    rng = random.Random(KB_SEED)
    near_rng = random.Random(KB_SEED + 1)  # its own, so the other samples stay as they were
    questions: list[KbQuestion] = []
    off_topic: list[KbQuestion] = []
    near: list[KbQuestion] = []
    for n, article in enumerate(kb):
        text, starts = article_text(article)
        found = _located(article, starts, text)
        sampled = rng.sample(found, min(per_article, len(found)))
        if n < indexed:
            (corpus / f"{article.title}.md").write_text(text, encoding="utf-8")
            questions.extend(sampled)
            near.extend(near_misses(found, sampled, near_miss_per_article, near_rng))
        else:
            off_topic.extend(KbQuestion(q.id, q.question, "", ()) for q in sampled)
    questions.extend(off_topic)
    for article in others:
        pool = [q for p in article.paragraphs for q in p.questions]
        for q in rng.sample(pool, min(off_topic_per_article, len(pool))):
            questions.append(KbQuestion(q.id, q.question.strip(), "", ()))
    return questions + near


def save_questions(questions: list[KbQuestion], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for q in questions:
            handle.write(json.dumps(asdict(q)) + "\n")


def load_questions(path: Path) -> list[KbQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(
            KbQuestion(
                row["id"],
                row["question"],
                row["doc_id"],
                tuple(tuple(a) for a in row["answers"]),
                tuple(tuple(a) for a in row.get("hidden", ())),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=24)
    parser.add_argument("--per-article", type=int, default=30)
    parser.add_argument("--off-topic-per-article", type=int, default=15)
    parser.add_argument("--indexed", type=int, default=8, help="articles written (<= --articles)")
    parser.add_argument("--near-miss-per-article", type=int, default=15, help="of the indexed articles")
    args = parser.parse_args()
    questions = write_kb(
        load_squad(args.squad),
        args.out,
        args.articles,
        args.per_article,
        args.off_topic_per_article,
        args.indexed,
        args.near_miss_per_article,
    )
    save_questions(questions, args.out / "questions.jsonl")
    answerable = sum(q.answerable for q in questions)
    near = sum(bool(q.hidden) for q in questions)
    unanswerable = len(questions) - answerable - near
    print(f"{args.out}: {answerable} answerable, {unanswerable} off-topic and {near} near-miss questions")


if __name__ == "__main__":
    main()
