"""Train the cross-encoder reranker on SQuAD v1.1.

    python -m training.train --squad train-v1.1.json.gz --out service/models/reranker \
        [--steps N --batch B --seed S --resume --paraphrases FILE ...]

Designed for a 2-core CPU and a run of at most two hours:
- the model is the bundled MiniLM cut to its first `--layers` layers, with the token embeddings
  and the layers below `--train-from` frozen (no gradients, no optimizer state: backward stops
  at the first trained layer);
- pairs are short (`--max-length`) and padded per batch to the longest, not to a fixed length;
- each step is `--batch` questions x `--group` candidates (one positive), trained with a listwise
  softmax loss over the group (ranking) plus a pointwise logistic loss (so the output reads as a
  probability, which abstention needs); with `--near-misses` / `--unanswerable-rate` some groups
  have no positive (nothing in them answers) and add only the pointwise loss;
- everything random is derived from `--seed` and the step number, so a resumed run draws the
  same batches and dropout masks as an uninterrupted one; checkpoints every `--checkpoint-every`
  steps in the work folder (`--work`), and `--resume` continues from the last one;
- validation on held-out SQuAD articles (never trained on) every `--eval-every` steps:
  "in-paragraph top-1" (the answer sentence ranks first among its paragraph's sentences) and
  "pool top-1" (first among those plus retrieved sentences of other paragraphs).

Retrieval negatives are mined once (BM25 + the bundled dense model) and cached in the work
folder, keyed by everything that decides them.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.checkpoints import (
    METRICS_FILE,
    append_metrics,
    load_checkpoint,
    save_checkpoint,
    validation_history,
)
from training.config import TrainConfig, log
from training.dataset import Data, as_keywords, digest, prepare_data
from training.loss import SPAN_HEAD, answer_texts, step_loss
from training.pairs import Example, make_group
from training.validate import evaluate, evaluate_with_twins


def _setup_model(cfg: TrainConfig) -> tuple[Any, Any, Any, list[Any]]:
    import torch

    from indexer.embedding import BUNDLED_WEIGHTS_SHA256
    from service.reranker import (
        RerankerConfig,
        build_model,
        bundled_base_path,
        load_tokenizer,
        trained_parameter_names,
    )

    torch.manual_seed(cfg.seed)  # the head's initial weights
    rconfig = RerankerConfig(
        num_layers=cfg.layers,
        trained_layers=tuple(range(cfg.train_from, cfg.layers)),
        max_length=cfg.max_length,
        base_weights_sha256=BUNDLED_WEIGHTS_SHA256,
    )
    base = bundled_base_path()
    model = build_model(rconfig, base)
    trained = set(trained_parameter_names(model, rconfig))
    frozen_modules = [model.bert.embeddings, *model.bert.encoder.layer[: cfg.train_from]]
    for name, param in model.named_parameters():
        param.requires_grad = name in trained
    if cfg.span_weight:  # the auxiliary answer-span layer: trained, checkpointed, never saved
        setattr(model, SPAN_HEAD, torch.nn.Linear(int(model.bert.config.hidden_size), 2))
    return model, rconfig, load_tokenizer(base, cfg.max_length), frozen_modules


def _train_mode(model: Any, frozen: list[Any]) -> None:
    """Dropout only where weights learn: frozen layers act as a fixed feature extractor."""
    model.train()
    for module in frozen:
        module.eval()


def _optimizer(cfg: TrainConfig, model: Any) -> tuple[Any, Any]:
    import torch

    decay, no_decay, head = [], [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if name.startswith(("head.", f"{SPAN_HEAD}.")):
            head.append(param)
        elif name.endswith("bias") or "LayerNorm" in name:
            no_decay.append(param)
        else:
            decay.append(param)
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "lr": cfg.lr, "weight_decay": 0.0},
            {"params": head, "lr": cfg.head_lr, "weight_decay": 0.0},
        ]
    )
    warmup = max(1, int(cfg.warmup * cfg.steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (cfg.steps - step) / max(1, cfg.steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    return optimizer, scheduler


def _batch_examples(examples: Sequence[Example], step: int, batch: int, seed: int) -> list[Example]:
    """The examples of a step: a seeded permutation per epoch, so any step is reproducible alone."""
    n = len(examples)
    out: list[Example] = []
    for k in range(step * batch, (step + 1) * batch):
        epoch, pos = divmod(k, n)
        out.append(examples[_epoch_order(n, seed, epoch)[pos]])
    return out


@functools.lru_cache(maxsize=2)
def _epoch_order(n: int, seed: int, epoch: int) -> tuple[int, ...]:
    order = list(range(n))
    random.Random(f"{seed}/epoch/{epoch}").shuffle(order)
    return tuple(order)


def _fingerprint(cfg: TrainConfig, data: Data) -> str:
    return digest(cfg.settings(), data.info)


# --------------------------------------------------------------------------- main loop


@dataclass
class _Run:
    """What a training run holds between steps."""

    cfg: TrainConfig
    data: Data
    model: Any
    rconfig: Any
    tokenizer: Any
    frozen: list[Any]
    optimizer: Any
    scheduler: Any
    fingerprint: str
    ckpt: Path
    answers: dict[str, str]  # answer text by question id, for the span loss (empty without it)


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Run (or resume) training; writes the weights into cfg.out and returns the run summary."""
    import torch

    torch.set_num_threads(cfg.threads)
    os.environ["HF_HUB_OFFLINE"] = "1"
    data = prepare_data(cfg)
    if not data.train:
        raise SystemExit("no usable training questions")
    log(f"data: {json.dumps(data.info)}")
    model, rconfig, tokenizer, frozen = _setup_model(cfg)
    optimizer, scheduler = _optimizer(cfg, model)
    fingerprint = _fingerprint(cfg, data)
    ckpt_dir = cfg.work / f"run-{fingerprint}"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    answers = answer_texts(cfg.squad, cfg.structured) if cfg.span_weight else {}
    run = _Run(
        cfg,
        data,
        model,
        rconfig,
        tokenizer,
        frozen,
        optimizer,
        scheduler,
        fingerprint,
        ckpt_dir / "last.pt",
        answers,
    )
    start, wall_before = 0, 0.0
    if cfg.resume and run.ckpt.is_file():
        start, wall_before = load_checkpoint(run.ckpt, model, optimizer, scheduler, fingerprint)
        log(f"resumed from {run.ckpt} at step {start}")
    elif not cfg.resume and (ckpt_dir / METRICS_FILE).exists():
        (ckpt_dir / METRICS_FILE).unlink()
    log(f"checkpoints: {run.ckpt}")
    end = min(cfg.stop_at, cfg.steps) if cfg.stop_at else cfg.steps
    wall = _loop(run, start, end, wall_before)
    if end < cfg.steps:
        log(f"stopped at step {end}; continue with --resume (checkpoint {run.ckpt})")
        return {"stopped_at": end, "checkpoint": str(run.ckpt)}
    return _finish(run, validation_history(ckpt_dir / METRICS_FILE, end), wall)


def _loop(run: _Run, start: int, end: int, wall_before: float) -> float:
    """Steps start..end with a progress bar, validation and checkpoints; the run's wall seconds."""
    import torch
    from tqdm import tqdm

    cfg = run.cfg
    t0 = time.time()
    losses: list[float] = []
    _train_mode(run.model, run.frozen)
    bar = tqdm(
        total=cfg.steps,
        initial=start,
        desc="reranker",
        disable=not cfg.progress,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    for step in range(start, end):
        rng = random.Random(f"{cfg.seed}/step/{step}")
        torch.manual_seed(cfg.seed * 1_000_003 + step)  # dropout masks
        examples = _batch_examples(run.data.train, step, cfg.batch, cfg.seed)
        groups = [
            make_group(e, rng, size=cfg.group, title_rate=cfg.title_rate, window_rate=cfg.window_rate)
            for e in examples
        ]
        answers = [run.answers.get(e.qid.split("/")[0]) for e in examples]
        loss = step_loss(run.model, run.tokenizer, groups, answers, cfg.span_weight)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in run.model.parameters() if p.requires_grad], 1.0)
        run.optimizer.step()
        run.scheduler.step()
        losses.append(float(loss.item()))
        done = step + 1
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        record: dict[str, Any] = {"step": done, "loss": float(np.mean(losses[-50:]))}
        if done % cfg.eval_every == 0 or done == cfg.steps:
            bar.write(_validate(run, record))
        if done % cfg.checkpoint_every == 0 or done in (cfg.steps, end) or "val" in record:
            wall = wall_before + time.time() - t0
            save_checkpoint(run.ckpt, run.model, run.optimizer, run.scheduler, done, run.fingerprint, wall)
            append_metrics(run.ckpt.parent / METRICS_FILE, record)
    bar.close()
    return wall_before + time.time() - t0


def _validate(run: _Run, record: dict[str, Any]) -> str:
    """Validate on the first held-out questions (and reworded ones) into record; the line to show."""
    cfg, data = run.cfg, run.data
    val, swapped = evaluate_with_twins(
        run.model, run.tokenizer, data.val[: cfg.val_questions], cfg.seed, cfg.val_retrieved
    )
    record["val"] = val
    line = (
        f"step {record['step']}: loss {record['loss']:.3f}  held-out in-paragraph top-1 "
        f"{val['in_paragraph_top1']:.3f}  pool top-1 {val['pool_top1']:.3f}  (n={int(val['n'])})"
    )
    reworded = data.val_reworded[: cfg.val_questions // 2]
    if reworded:
        rw = evaluate(run.model, run.tokenizer, reworded, retrieved=cfg.val_retrieved)
        record["val_reworded"] = rw
        line += f"; reworded questions: in-paragraph {rw['in_paragraph_top1']:.3f} pool {rw['pool_top1']:.3f}"
    if swapped is not None:
        record["val_swapped"] = swapped
        line += f"; swapped-name AUC {swapped['near_miss_auc']:.3f} (n={int(swapped['near_misses'])})"
    if data.val_structured:
        st = evaluate(run.model, run.tokenizer, data.val_structured, retrieved=0)
        record["val_structured"] = st
        line += f"; structured pages: pool top-1 {st['pool_top1']:.3f} (n={int(st['n'])})"
        if "near_miss_auc" in st:
            line += f", near-miss AUC {st['near_miss_auc']:.3f} (n={int(st['near_misses'])})"
    _train_mode(run.model, run.frozen)
    return line


def _finish(run: _Run, history: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """Final validation on all validation sets, then the weights (and the summary) written."""
    import torch

    from service.reranker import save_weights

    cfg, data = run.cfg, run.data
    log(f"training done in {wall / 60:.1f} min; final validation on {len(data.val)} held-out questions")

    def measure(examples: list[Example]) -> dict[str, float] | None:
        return evaluate(run.model, run.tokenizer, examples, retrieved=cfg.val_retrieved) if examples else None

    final, swapped = (
        evaluate_with_twins(run.model, run.tokenizer, data.val, cfg.seed, cfg.val_retrieved)
        if data.val
        else (None, None)
    )
    summary: dict[str, Any] = {
        "settings": cfg.settings(),
        "data": data.info,
        "steps": cfg.steps,
        "train_wall_minutes": round(wall / 60, 1),
        "validation": final,
        "validation_during_training": history,
        "validation_paraphrases_held_out_articles": measure(data.val_paraphrases),
        "validation_reworded": measure(data.val_reworded),
        "validation_reworded_original_wording": measure(data.val_reworded_original),
        "validation_structured_pages": measure(data.val_structured),
        "validation_as_keywords": measure(as_keywords(data.val)),
        "validation_swapped_names": swapped,
        "threads": cfg.threads,
        "torch": torch.__version__,
    }
    run.model.eval()
    rconfig = type(run.rconfig)(**{**asdict(run.rconfig), "extra": {"training": summary}})
    save_weights(run.model, rconfig, cfg.out)
    (run.ckpt.parent / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    log(f"weights written to {cfg.out}: {json.dumps(final)}")
    return summary


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    defaults = TrainConfig(squad=Path(), out=Path())
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--squad", type=Path, required=True, help="SQuAD v1.1 train JSON (.json or .json.gz)")
    p.add_argument("--out", type=Path, required=True, help="folder for model.safetensors + config.json")
    p.add_argument("--work", type=Path, default=defaults.work, help="cache of mined data and checkpoints")
    p.add_argument("--paraphrases", type=Path, nargs="*", default=[], help="JSONL files of {id, question}")
    p.add_argument("--structured", type=Path, default=None, help="parts with docs/, questions.jsonl")
    p.add_argument(
        "--near-misses", action="store_true", help="train the pages' near misses as groups without an answer"
    )
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint of the same run")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    ints = (
        "steps batch group seed layers train_from max_length pool_articles retrieved_per_source val_questions"
        " val_final val_retrieved eval_every checkpoint_every threads max_train_questions paraphrase_holdout"
        " paraphrase_repeat structured_repeat stop_at"
    )
    for name in ints.split():
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    floats = (
        "lr head_lr warmup weight_decay title_rate window_rate unanswerable_rate perturbed_rate keyword_rate"
        " span_weight"
    )
    for name in floats.split():
        p.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
    args = p.parse_args(argv)
    cfg = TrainConfig(**vars(args))
    if not 0 <= cfg.train_from < cfg.layers <= 6:
        p.error("need 0 <= --train-from < --layers <= 6")
    if cfg.group < 2 or cfg.batch < 1 or cfg.steps < 1:
        p.error("need --group >= 2, --batch >= 1, --steps >= 1")
    if not math.isfinite(cfg.lr):
        p.error("--lr must be finite")
    for name in ("unanswerable_rate", "perturbed_rate", "keyword_rate"):
        if not 0 <= getattr(cfg, name) <= 1:
            p.error(f"--{name.replace('_', '-')} must be within [0, 1]")
    if cfg.near_misses and cfg.structured is None:
        p.error("--near-misses needs --structured")
    return cfg


def main(argv: Sequence[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
