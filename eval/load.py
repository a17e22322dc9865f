"""Load test of a running service: N concurrent clients ask for a fixed time while a prober
times /healthz; prints what was served, refused and how fast. Bounded in clients and seconds, and
meant for loopback (`kbqa serve` on this machine): it asserts nothing.

    python -m eval.load --url http://127.0.0.1:8000 --clients 64 --seconds 20
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter

import httpx
import numpy as np

from eval.dataset import DEFAULT_DATASET, load_dataset

MAX_CLIENTS = 256
MAX_SECONDS = 120


def _pct(values: list[float], pct: float) -> float:
    return float(np.percentile(values, pct)) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    clients, seconds = min(args.clients, MAX_CLIENTS), min(args.seconds, MAX_SECONDS)
    questions = [q.question for q in load_dataset(DEFAULT_DATASET)]
    statuses: Counter[int] = Counter()
    served: list[float] = []
    health: list[float] = []
    lock, stop = threading.Lock(), threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=args.url, timeout=30) as http:
            i = n
            while not stop.is_set():
                started = time.perf_counter()
                retry_after = 0.0
                try:
                    response = http.post("/ask", json={"question": questions[i % len(questions)]})
                    status = response.status_code
                    retry_after = float(response.headers.get("retry-after", 0))
                except httpx.HTTPError:
                    status = 0  # connection refused or timed out
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    statuses[status] += 1
                    if status == 200:
                        served.append(elapsed)
                i += clients
                # A well-behaved client waits as told (a refused one that retried at once would
                # only burn the cores the server needs).
                stop.wait(min(retry_after, seconds))

    def prober() -> None:
        with httpx.Client(base_url=args.url, timeout=30) as http:
            while not stop.is_set():
                started = time.perf_counter()
                http.get("/healthz")
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=prober))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    total = sum(statuses.values())
    print(f"{clients} clients for {seconds:.0f} s: {total} requests, {dict(sorted(statuses.items()))}")
    print(
        f"served {statuses[200]} ({statuses[200] / seconds:.1f}/s): p50 {_pct(served, 50):.0f} ms, "
        f"p99 {_pct(served, 99):.0f} ms; refused {total - statuses[200]}"
    )
    print(f"/healthz while loaded: p50 {_pct(health, 50):.1f} ms, p99 {_pct(health, 99):.1f} ms")


if __name__ == "__main__":
    main()
