"""Admission control: a bounded number of queries in flight and an optional per-client rate.
Beyond either, a request is refused at once (503 or 429 with Retry-After) rather than queued:
on two cores a queue only turns overload into timeouts for everyone (OWASP API4:2023)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import HTTPException

# How long a refused client should wait: one typical query's time on a busy machine, rounded up.
RETRY_AFTER_SECONDS = 1
# Clients whose bucket has been full this long are forgotten (bounds memory under many clients).
IDLE_CLIENT_SECONDS = 600


class Overloaded(HTTPException):
    def __init__(self, in_flight: int) -> None:
        super().__init__(
            503,
            f"the service is answering {in_flight} queries, its limit; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class RateLimited(HTTPException):
    def __init__(self, retry_after: float) -> None:
        super().__init__(
            429,
            "too many requests from this client; retry later",
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )


class InFlightLimit:
    """At most `limit` queries at once (FAISS searches are thread-safe; the model shares two cores)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            raise Overloaded(self.limit)
        try:
            yield
        finally:
            self._slots.release()


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursts up to `burst`."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._now = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Take a token for `client`, or raise RateLimited with the time until the next one."""
        now = self._now()
        with self._lock:
            tokens, at = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.rate)
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:
                self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        for client, (_, at) in list(self._buckets.items()):
            if now - at > IDLE_CLIENT_SECONDS:
                del self._buckets[client]
