"""The benchmark's bookkeeping: how a load run is summarised (refusals are not errors) and how the
server's processes are found and measured from /proc. No timings are asserted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

from eval.bench import _cpu_seconds, _peak_rss_mib, _tree
from eval.load import summarise


def test_a_load_run_counts_refusals_apart_from_errors() -> None:
    statuses = Counter({200: 8, 503: 3, 429: 1, 500: 1, 0: 1})
    result = summarise("ask", 4, 2.0, statuses, [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0], [1.0])
    assert (result["requests"], result["served"], result["refused"], result["errors"]) == (14, 8, 4, 2)
    assert result["qps"] == 4.0
    assert result["p50_ms"] == 45.0
    assert result["max_ms"] == 80.0
    assert result["statuses"] == {"0": 1, "200": 8, "429": 1, "500": 1, "503": 3}


def test_an_empty_run_summarises_to_zeros() -> None:
    result = summarise("search", 1, 1.0, Counter(), [], [])
    assert (result["requests"], result["qps"], result["p99_ms"]) == (0, 0.0, 0.0)


def test_the_process_tree_holds_a_child_and_its_cpu_and_memory_are_read() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while child.pid not in _tree(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.pid in _tree(os.getpid())
        assert _tree(child.pid) == [child.pid]
    finally:
        child.kill()
        child.wait()
    assert _cpu_seconds(os.getpid()) > 0
    assert _peak_rss_mib(os.getpid()) > 10
