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
    document `doc_id` (empty for a question the knowledge base does not answer)."""

    id: str
    question: str
    doc_id: str
    answers: tuple[tuple[int, int], ...]

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


def _located(
    article: Article, starts: list[int], text: str, per_article: int, rng: random.Random
) -> list[KbQuestion]:
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
    return rng.sample(found, min(per_article, len(found)))


def write_kb(
    articles: list[Article], out: Path, n_kb: int, per_article: int, off_topic_per_article: int, indexed: int
) -> list[KbQuestion]:
    """Writes out/corpus/*.md and returns the questions (answerable first, then off-topic).
    Of the `n_kb` sampled articles only the first `indexed` are written: the questions sampled
    from the others are asked as off-topic ones (a smaller knowledge base indexes faster and keeps
    the same questions, and so the same paraphrases)."""
    kb, others = split_articles(articles, n_kb)
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    rng = random.Random(KB_SEED)
    questions: list[KbQuestion] = []
    off_topic: list[KbQuestion] = []
    for n, article in enumerate(kb):
        text, starts = article_text(article)
        sampled = _located(article, starts, text, per_article, rng)
        if n < indexed:
            (corpus / f"{article.title}.md").write_text(text, encoding="utf-8")
            questions.extend(sampled)
        else:
            off_topic.extend(KbQuestion(q.id, q.question, "", ()) for q in sampled)
    questions.extend(off_topic)
    for article in others:
        pool = [q for p in article.paragraphs for q in p.questions]
        for q in rng.sample(pool, min(off_topic_per_article, len(pool))):
            questions.append(KbQuestion(q.id, q.question.strip(), "", ()))
    return questions


def save_questions(questions: list[KbQuestion], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for q in questions:
            handle.write(json.dumps(asdict(q)) + "\n")


def load_questions(path: Path) -> list[KbQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(
            KbQuestion(row["id"], row["question"], row["doc_id"], tuple(tuple(a) for a in row["answers"]))
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
    args = parser.parse_args()
    questions = write_kb(
        load_squad(args.squad),
        args.out,
        args.articles,
        args.per_article,
        args.off_topic_per_article,
        args.indexed,
    )
    save_questions(questions, args.out / "questions.jsonl")
    answerable = sum(q.answerable for q in questions)
    print(f"{args.out}: {answerable} answerable and {len(questions) - answerable} off-topic questions")


if __name__ == "__main__":
    main()
