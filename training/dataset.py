"""Which SQuAD questions train and validate the reranker, with their mined negatives.

- Training questions come from `pool_articles` random training articles, whose sentences are also
  the retrieval pool (a knowledge base of related articles, as in production), plus every
  paraphrased question and its original. Held-out articles (`training.squad.is_held_out`) are
  never trained on: their questions and sentences make the validation pools.
- Some paraphrased questions are held back with their originals ("reworded" validation): the
  paraphrase files cover training articles only, and reworded questions are what users type.
- Mining (BM25 + the bundled dense model) is the slow part on a CPU: pool embeddings, mined
  questions and the selected data are cached in the work folder, keyed by what decides them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.config import TrainConfig, log
from training.pairs import (
    Example,
    Located,
    SentencePool,
    build_examples,
    dense_embed,
    load_paraphrases,
    locate_all,
)
from training.perturb import PERTURB_VERSION, perturbed
from training.squad import Article, load_squad, sha256_file
from training.structured import files_digest, page_examples
from training.variants import keyword_query

DATA_VERSION = 1  # bump when the mining or example format changes, to invalidate caches
_FIELDS = ("train", "val", "val_paraphrases", "val_reworded", "val_reworded_original", "val_structured")


@dataclass
class Data:
    train: list[Example]
    val: list[Example]
    val_paraphrases: list[Example]  # paraphrases of held-out articles' questions (if any)
    val_reworded: list[Example]  # held-back paraphrases of training-article questions ...
    val_reworded_original: list[Example]  # ... and the same questions as SQuAD wrote them
    val_structured: list[Example]  # questions about held-out structured pages (if any)
    info: dict[str, Any]


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _cache_key(cfg: TrainConfig, squad_sha: str, para_shas: list[str], budget: int) -> str:
    key = digest(
        DATA_VERSION, squad_sha, para_shas, cfg.seed, cfg.pool_articles, cfg.retrieved_per_source,
        cfg.val_final, cfg.val_retrieved, budget, cfg.paraphrase_holdout, cfg.paraphrase_repeat,
    )  # fmt: skip
    if cfg.structured:  # left out of the key when unused, so older runs keep their cache
        # "held-out near misses": caches from before validation kept them are not reused.
        key = digest(key, files_digest(cfg.structured), cfg.structured_repeat, "held-out near misses")
    if cfg.near_misses or cfg.unanswerable_rate:
        key = digest(key, cfg.near_misses, cfg.unanswerable_rate)
    if cfg.perturbed_rate:
        key = digest(key, "perturbed", PERTURB_VERSION, cfg.perturbed_rate)
    if cfg.keyword_rate:
        key = digest(key, "keywords", cfg.keyword_rate)
    return key


def prepare_data(cfg: TrainConfig) -> Data:
    """Training and validation examples, from the cache when the same inputs made them before."""
    squad_sha = sha256_file(cfg.squad)
    para_shas = [sha256_file(p) for p in cfg.paraphrases]
    budget = cfg.max_train_questions or cfg.steps * cfg.batch
    key = _cache_key(cfg, squad_sha, para_shas, budget)
    cfg.work.mkdir(parents=True, exist_ok=True)
    cache = cfg.work / f"data-{key}.json.gz"
    if cache.is_file():
        raw = json.loads(gzip.decompress(cache.read_bytes()))
        lists = {name: [Example.from_json(e) for e in raw.get(name, [])] for name in _FIELDS}
        return Data(**lists, info=raw["info"])
    log(f"reading {cfg.squad}")
    articles = load_squad(cfg.squad)
    train_ids = [i for i, a in enumerate(articles) if not a.held_out]
    held_ids = [i for i, a in enumerate(articles) if a.held_out]
    rng = random.Random(cfg.seed)
    pool_ids = (
        sorted(rng.sample(train_ids, min(cfg.pool_articles, len(train_ids))))
        if cfg.pool_articles
        else train_ids
    )
    paraphrases = load_paraphrases(cfg.paraphrases)
    by_id_train = {item.question.id: item for item in locate_all(articles, train_ids)}
    by_id_held = {item.question.id: item for item in locate_all(articles, held_ids)}
    para_train = [(qid, q) for qid, q in paraphrases if qid in by_id_train]
    para_held = [(qid, q) for qid, q in paraphrases if qid in by_id_held]
    train, reworded, reworded_original, n_paraphrased = _training_examples(
        cfg, articles, rng, pool_ids, by_id_train, para_train, budget
    )
    val, val_paraphrases = _validation_examples(cfg, articles, rng, held_ids, by_id_held, para_held)
    val_structured, structured_info = _add_pages(cfg, train)
    info = {
        "squad_sha256": squad_sha,
        "paraphrase_files": {str(p): s for p, s in zip(cfg.paraphrases, para_shas, strict=True)},
        "paraphrases": {
            "lines": len(paraphrases),
            "trained": n_paraphrased,
            "held_back_for_validation": len(reworded),
            "held_out_articles": len(para_held),
            # answer ambiguous in its paragraph (see pairs.locate), or id not in the file
            "unusable_or_unknown_id": len(paraphrases) - len(para_train) - len(para_held),
        },
        "articles": {"train": len(train_ids), "held_out": len(held_ids), "pool": len(pool_ids)},
        "usable_questions": {"train": len(by_id_train), "held_out": len(by_id_held)},
        "train_examples": len(train),
        "val_examples": len(val),
    }
    if structured_info:
        info["structured"] = structured_info
    data = Data(train, val, val_paraphrases, reworded, reworded_original, val_structured, info)
    payload = {name: [e.to_json() for e in getattr(data, name)] for name in _FIELDS} | {"info": info}
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(json.dumps(payload).encode(), compresslevel=5))
    tmp.replace(cache)
    return data


def _add_pages(cfg: TrainConfig, train: list[Example]) -> tuple[list[Example], dict[str, object]]:
    """Structured pages' examples appended to train; (held-out pages' examples, counts)."""
    if not cfg.structured:
        return [], {}
    pages, held, counts = page_examples(cfg.structured, cfg.work, near_misses=cfg.near_misses)
    # Few, and the point (production pools are pages like these): shown several times each.
    train += pages * cfg.structured_repeat
    return held, {"root": str(cfg.structured), "repeat": cfg.structured_repeat, **counts}


def _training_examples(
    cfg: TrainConfig,
    articles: Sequence[Article],
    rng: random.Random,
    pool_ids: list[int],
    by_id: dict[str, Located],
    para_train: list[tuple[str, str]],
    budget: int,
) -> tuple[list[Example], list[Example], list[Example], int]:
    """(training examples, held-back reworded questions, their originals, paraphrases trained)."""
    pool_set = set(pool_ids)
    candidates = sorted((i for i in by_id.values() if i.article in pool_set), key=lambda i: i.question.id)
    rng.shuffle(candidates)
    para_ids = sorted({qid for qid, _ in para_train})
    random.Random(f"{cfg.seed}/paraphrase-holdout").shuffle(para_ids)
    held_back = set(para_ids[: cfg.paraphrase_holdout])
    # About `budget` examples in all (each seen about once): paraphrased questions, their
    # originals, then other SQuAD questions of the pool articles, at least half the budget.
    n_paraphrased = sum(1 for qid, _ in para_train if qid not in held_back)
    n_train = max(
        budget - len(para_ids) + len(held_back) - cfg.paraphrase_repeat * n_paraphrased, budget // 2
    )
    chosen = [i for i in candidates[:n_train] if i.question.id not in held_back]
    extra = sorted({qid for qid, _ in para_train} - {i.question.id for i in chosen})
    items = chosen + [by_id[qid] for qid in extra]
    log(f"mining retrieval negatives: {len(items)} training questions over {len(pool_ids)} articles")
    mined = mine(cfg, articles, pool_ids, items, key="train")
    by_qid = {e.qid: e for e in mined}
    train = [e for e in mined if e.qid not in held_back]
    reworded = [
        by_qid[q].with_question(p, f"{q}/p{n}") for n, (q, p) in enumerate(para_train) if q in held_back
    ]
    paraphrased = [
        by_qid[q].with_question(p, f"{q}/p{n}") for n, (q, p) in enumerate(para_train) if q not in held_back
    ]
    # Paraphrases are few and the point of the exercise (ours paraphrase; SQuAD's questions
    # copy the paragraph's words): `paraphrase_repeat` > 1 shows each of them more often.
    train += paraphrased * cfg.paraphrase_repeat
    sources = list(train)  # the answered questions, before any group without an answer is added
    train += unanswered(sources, cfg.unanswerable_rate, random.Random(f"{cfg.seed}/unanswered"))
    train += perturbed(sources, cfg.perturbed_rate, random.Random(f"{cfg.seed}/perturbed"))
    keyworded = as_keywords(sources)
    train += random.Random(f"{cfg.seed}/keywords").sample(keyworded, round(cfg.keyword_rate * len(keyworded)))
    originals = [by_qid[e.qid.split("/")[0]] for e in reworded]
    return train, reworded, originals, len(paraphrased)


def unanswered(examples: Sequence[Example], rate: float, rng: random.Random) -> list[Example]:
    """A seeded `rate` share of the examples again with their paragraph hidden: the candidates are
    then only retrieval hits from other paragraphs, which the mining kept free of the answer text,
    so nothing in the group answers (a knowledge base that is on the topic but does not say)."""
    usable = [e for e in examples if not e.structured and e.retrieved]
    chosen = rng.sample(usable, round(rate * len(usable)))
    return [
        Example(f"{e.qid}/none", e.question, e.title, (), -1, e.retrieved, structured=False) for e in chosen
    ]


def as_keywords(examples: Sequence[Example]) -> list[Example]:
    """The answered SQuAD examples asked as bare keywords, with the same candidates; questions
    with too few content words are left out."""
    return [
        e.with_question(query, f"{e.qid}/k")
        for e in examples
        if not e.structured and e.positive >= 0 and (query := keyword_query(e.question)) is not None
    ]


def _validation_examples(
    cfg: TrainConfig,
    articles: Sequence[Article],
    rng: random.Random,
    held_ids: list[int],
    by_id: dict[str, Located],
    para_held: list[tuple[str, str]],
) -> tuple[list[Example], list[Example]]:
    """(validation examples, paraphrases of held-out questions), pools from held-out articles."""
    held = sorted(by_id.values(), key=lambda i: i.question.id)
    rng.shuffle(held)
    items = held[: cfg.val_final]
    extra = sorted({qid for qid, _ in para_held} - {i.question.id for i in items})
    log(f"mining validation pools: {len(items)} questions over {len(held_ids)} held-out articles")
    mined = {e.qid: e for e in mine(cfg, articles, held_ids, items + [by_id[q] for q in extra], key="val")}
    val = [mined[i.question.id] for i in items]
    return val, [mined[q].with_question(p, f"{q}/p{n}") for n, (q, p) in enumerate(para_held)]


def mine(
    cfg: TrainConfig, articles: Sequence[Article], pool_ids: Sequence[int], items: list[Located], key: str
) -> list[Example]:
    """Examples for items, mining only the questions not mined before over the same pool."""
    pool = SentencePool.of(articles, pool_ids)
    pool_digest = digest(pool.texts)
    vectors_path = cfg.work / f"pool-{key}-{pool_digest}.npy"
    if vectors_path.is_file():
        vectors = np.load(vectors_path)
    else:
        log(f"embedding {len(pool.texts)} {key} pool sentences with the bundled model")
        vectors = dense_embed(pool.texts, progress=cfg.progress)
        np.save(vectors_path, vectors)
    mined_path = cfg.work / f"mined-{key}-{pool_digest}-{cfg.retrieved_per_source}-v{DATA_VERSION}.json.gz"
    known = _read_examples(mined_path) if mined_path.is_file() else {}
    todo = [i for i in items if i.question.id not in known]
    if todo:
        log(f"mining {len(todo)} {key} questions ({len(items) - len(todo)} cached)")
        new = build_examples(
            articles,
            todo,
            pool,
            per_source=cfg.retrieved_per_source,
            pool_vectors=vectors,
            progress=cfg.progress,
        )
        known.update((e.qid, e) for e in new)
        tmp = mined_path.with_suffix(".tmp")
        tmp.write_bytes(gzip.compress(json.dumps([e.to_json() for e in known.values()]).encode(), 5))
        tmp.replace(mined_path)
    return [known[i.question.id] for i in items]


def _read_examples(path: Path) -> dict[str, Example]:
    return {e.qid: e for e in map(Example.from_json, json.loads(gzip.decompress(path.read_bytes())))}
