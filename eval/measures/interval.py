"""How far a rate measured on a few dozen questions can be trusted: its 95% Wilson score
interval. With 30 questions one question moves a rate by 0.033, so a maintainer reading
"0.767 -> 0.800" needs to see how wide the figure's interval is. Wilson's interval, unlike the
normal approximation, stays inside [0, 1] and is not zero-width at 0 or n successes. Computed by
scipy (a dependency already, for the indexer's sparse BM25)."""

from __future__ import annotations


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The (low, high) Wilson score interval of the rate successes / n; (0, 1) when n is 0."""
    from scipy.stats import binomtest  # eval only: the service never imports scipy.stats

    if n == 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, {n}], got {successes}")
    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))
