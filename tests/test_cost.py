"""The cost of one question is bounded by construction, whatever it says: counted in model
inputs (deterministic), not timed."""

from __future__ import annotations

import random
import string
from collections.abc import Sequence

import numpy as np

from indexer.embedding import Embedder
from service.qa.pipeline import MAX_ABLATIONS, QAPipeline


class CountingEmbedder:
    """The session's model, counting the texts each call embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.model_id, self.dimension, self.weights_sha256 = (
            inner.model_id,
            inner.dimension,
            inner.weights_sha256,
        )

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.batches.append(len(texts))
        return self.inner.embed(texts, progress=progress)


def test_a_long_question_of_made_up_words_embeds_a_bounded_batch(kb: QAPipeline, embedder: Embedder) -> None:
    rng = random.Random(7)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9))) for _ in range(80)]
    question = " ".join(words)[:500]
    counting = CountingEmbedder(embedder)
    pipeline = QAPipeline(kb.kb.data, counting, kb.abstention)
    answer = pipeline.ask(question, 5)
    assert counting.batches == [1 + MAX_ABLATIONS]  # the question and at most MAX_ABLATIONS variants
    assert answer.text is None  # nothing in the knowledge base answers gibberish
