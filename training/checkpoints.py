"""A training run's checkpoint and metrics files: the state `--resume` continues from, and the
per-step records (loss, validation) the run's summary is built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"


def save_checkpoint(
    path: Path, model: Any, optimizer: Any, scheduler: Any, step: int, fingerprint: str, wall: float
) -> None:
    import torch

    state = {
        "model": {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "step": step,
        "fingerprint": fingerprint,
        "wall_seconds": wall,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_checkpoint(
    path: Path, model: Any, optimizer: Any, scheduler: Any, fingerprint: str
) -> tuple[int, float]:
    import torch

    state = torch.load(path, weights_only=True)
    if state["fingerprint"] != fingerprint:
        raise SystemExit(f"{path} was written with other settings or data; start afresh without --resume")
    missing = model.load_state_dict(state["model"], strict=False)
    if missing.unexpected_keys:
        raise SystemExit(f"{path}: unexpected parameters {missing.unexpected_keys[:3]}")
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return int(state["step"]), float(state.get("wall_seconds", 0.0))


def append_metrics(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def validation_history(path: Path, end: int) -> list[dict[str, Any]]:
    """The validation records of the whole run, read back from its metrics file.

    Why from the file: a resumed run only saw the steps after its checkpoint, and its summary
    must still carry the validation of the steps before. A record repeated by a resume that
    started before it was written counts once (the later line).
    """
    by_step: dict[int, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if "val" in record and int(record["step"]) <= end:
                by_step[int(record["step"])] = record
    return [by_step[step] for step in sorted(by_step)]
