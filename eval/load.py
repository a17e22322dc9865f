"""Load test of a running service: N concurrent clients call a route for a fixed time while a
prober times /healthz; prints (or writes as JSON) what was served, refused and how fast. Bounded
in clients and seconds, and meant for loopback (`kbqa serve` on this machine): it asserts nothing.
`make bench` runs it in its own process against a server it started (eval/bench.py).

    python -m eval.load --url http://127.0.0.1:8000 --clients 64 --seconds 20 [--route search] [--json]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from eval.dataset import DEFAULT_DATASET, load_dataset

MAX_CLIENTS = 256
MAX_SECONDS = 120
REFUSED = (429, 503)  # admission control answering "not now", by design: not errors


def _pct(values: list[float], pct: float) -> float:
    return float(np.percentile(values, pct)) if values else 0.0


def _call(http: httpx.Client, route: str, question: str) -> httpx.Response:
    if route == "search":
        return http.get("/search", params={"q": question, "k": 8})
    return http.post("/ask", json={"question": question})


def run_load(url: str, route: str, clients: int, seconds: float, questions: Sequence[str]) -> dict[str, Any]:
    """`clients` threads, each with its own keep-alive connection, calling `route` with the
    questions in turn for `seconds`; latencies of the served (200) requests and status counts."""
    clients, seconds = min(clients, MAX_CLIENTS), min(seconds, MAX_SECONDS)
    statuses: Counter[int] = Counter()
    served: list[float] = []
    health: list[float] = []
    lock, stop = threading.Lock(), threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            i = n
            while not stop.is_set():
                started = time.perf_counter()
                retry_after = 0.0
                try:
                    response = _call(http, route, questions[i % len(questions)])
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
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                started = time.perf_counter()
                http.get("/healthz")
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.1)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=prober))
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return summarise(route, clients, wall, statuses, served, health)


def summarise(
    route: str, clients: int, wall: float, statuses: Counter[int], served: list[float], health: list[float]
) -> dict[str, Any]:
    total = sum(statuses.values())
    refused = sum(statuses[s] for s in REFUSED)
    return {
        "route": route,
        "clients": clients,
        "seconds": round(wall, 2),
        "requests": total,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "served": statuses[200],
        "refused": refused,
        "errors": total - statuses[200] - refused,
        "qps": round(statuses[200] / wall, 1),
        "p50_ms": round(_pct(served, 50), 2),
        "p95_ms": round(_pct(served, 95), 2),
        "p99_ms": round(_pct(served, 99), 2),
        "max_ms": round(max(served, default=0.0), 2),
        "healthz_p99_ms": round(_pct(health, 99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--route", choices=["ask", "search"], default="ask")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    questions = [q.question for q in load_dataset(DEFAULT_DATASET)]
    result = run_load(args.url, args.route, args.clients, args.seconds, questions)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['clients']} clients for {result['seconds']:.0f} s on /{args.route}: "
        f"{result['requests']} requests, {result['statuses']}"
    )
    print(
        f"served {result['served']} ({result['qps']:.1f}/s): p50 {result['p50_ms']:.0f} ms, "
        f"p99 {result['p99_ms']:.0f} ms; refused {result['refused']}, errors {result['errors']}"
    )
    print(f"/healthz while loaded: p99 {result['healthz_p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
