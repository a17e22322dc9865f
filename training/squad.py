"""Reading the standard SQuAD v1.1 JSON layout (`train-v1.1.json` or `.json.gz`).

The path comes from the command line so anyone can train from the official file as well as from
the copy under `../shared/datasets/`. Only the fields every SQuAD v1.1 file has are read
(`data[].title`, `paragraphs[].context`, `qas[].id/question/answers[].text/answer_start`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Held-out articles: the first hex digit of sha256(title) is 0 or 1 (47 of the 442 training
# articles). A function of the title alone, so any copy of the data splits the same way.
HELD_OUT_PREFIXES = "01"


@dataclass(frozen=True)
class Answer:
    text: str
    start: int


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Paragraph:
    context: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def held_out(self) -> bool:
        """True for the validation articles, which training never sees."""
        return is_held_out(self.title)

    @property
    def display_title(self) -> str:
        """The title as a heading would read ("Sichuan earthquake", not "Sichuan_earthquake")."""
        return self.title.replace("_", " ")


def is_held_out(title: str) -> bool:
    return hashlib.sha256(title.encode()).hexdigest()[0] in HELD_OUT_PREFIXES


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_squad(path: Path) -> list[Article]:
    """Articles of a SQuAD v1.1 file; raises ValueError on a file that is not in that layout."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        raw: Any = json.load(handle)
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise ValueError(f"{path}: not a SQuAD file (no top-level 'data' list)")
    articles: list[Article] = []
    for article in raw["data"]:
        paragraphs: list[Paragraph] = []
        for paragraph in article["paragraphs"]:
            questions = tuple(
                Question(
                    id=str(qa["id"]),
                    question=str(qa["question"]),
                    answers=tuple(Answer(str(a["text"]), int(a["answer_start"])) for a in qa["answers"]),
                )
                for qa in paragraph["qas"]
            )
            paragraphs.append(Paragraph(context=str(paragraph["context"]), questions=questions))
        articles.append(Article(title=str(article["title"]), paragraphs=tuple(paragraphs)))
    return articles
