"""Speed and memory benchmark of the service as deployed: a script that prints a table and writes
JSON (for comparing commits); it asserts nothing.

    python -m eval.bench [--corpus corpus] [--backend auto] [--workers 1] [--seconds 10] [--json PATH]

1. index build: `build_index` on the corpus with the PyTorch embedder (model load apart), and
   passages per second;
2. cold start: `kbqa serve` spawned on a fresh port, /readyz polled until 200 (median of runs);
3. HTTP load from another process (`python -m eval.load --json`): /ask and /search at
   concurrency 1 (p50/p95/p99), 8 and 32 (QPS, p99, refused, errors), with the server's CPU
   seconds per request read from /proc, so that a figure taken while other work shares the
   cores can be told apart from the service's own cost;
4. the server's peak resident memory (VmHWM, summed over its worker processes).

The server runs with its query-vector cache off (KBQA_QUERY_CACHE_SIZE=0): the load cycles over
the same questions, and a cache would measure dictionary look-ups, not the query path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from indexer.build import build_index
from indexer.embedding import SentenceTransformerEmbedder

TICKS = os.sysconf("SC_CLK_TCK")
LOADS = (("ask", 1), ("search", 1), ("ask", 8), ("search", 8), ("ask", 32), ("search", 32))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn's worker processes), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the server and its workers so far."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _peak_rss_mib(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


@contextmanager
def serving(
    index: Path, env: dict[str, str], workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes], tuple[float, float]]]:
    """`kbqa serve` on a free port; yields its URL, process, and the seconds from spawn to /readyz
    200 with the CPU seconds the server (all its processes) had used by then."""
    port = _free_port()
    cmd = [sys.executable, "-m", "kbqa.cli", "serve", "--index", str(index), "--port", str(port)]
    cmd += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = _wait_ready(url, proc, started)
        yield url, proc, (ready, _cpu_seconds(proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], started: float, timeout: float = 120) -> float:
    with httpx.Client(base_url=url, timeout=2) as http:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"kbqa serve exited with {proc.returncode} before it was ready")
            try:
                if http.get("/readyz").status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    raise RuntimeError(f"kbqa serve not ready after {timeout} s")


def _load(url: str, pid: int, route: str, clients: int, seconds: float) -> dict[str, Any]:
    """One load run in its own process, with the server's CPU seconds spent meanwhile."""
    cmd = [sys.executable, "-m", "eval.load", "--url", url, "--route", route]
    cmd += ["--clients", str(clients), "--seconds", str(seconds), "--json"]
    cpu_before = _cpu_seconds(pid)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    cpu = _cpu_seconds(pid) - cpu_before
    result["server_cpu_ms_per_request"] = round(1000 * cpu / max(1, result["requests"]), 2)
    return result


def bench_build(corpus: Path, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder()
    model_s = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    manifest = build_index(corpus, out, embedder)
    build_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    counts = manifest["counts"]
    return {
        "model_load_s": round(model_s, 2),
        "build_s": round(build_s, 2),
        "build_cpu_s": round(cpu_s, 2),
        "documents": counts["documents"],
        "passages": counts["chunks"],
        "spans": counts["candidates"],
        "passages_per_s": round(counts["chunks"] / build_s, 1),
    }


def bench_serve(index: Path, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    starts, cpu = [], []
    for _ in range(args.starts - 1):  # cold starts alone (the first may export the ONNX graph)
        with serving(index, env, args.workers) as (_, _, (ready, used)):
            starts.append(round(ready, 2))
            cpu.append(round(used, 2))
    with serving(index, env, args.workers) as (url, proc, (ready, used)):
        starts.append(round(ready, 2))
        cpu.append(round(used, 2))
        loads = []
        for route, clients in LOADS:
            loads.append(_load(url, proc.pid, route, clients, args.seconds))
            print(_load_line(loads[-1]), flush=True)
        rss = _peak_rss_mib(proc.pid)
    return {"cold_start_s": starts, "cold_start_median_s": statistics.median(starts),
            "cold_start_cpu_s": cpu, "loads": loads, "peak_rss_mib": round(rss, 1)}  # fmt: skip


def _load_line(r: dict[str, Any]) -> str:
    return (
        f"/{r['route']:<7} c={r['clients']:<3} {r['qps']:7.1f}/s  p50 {r['p50_ms']:6.1f}  "
        f"p95 {r['p95_ms']:6.1f}  p99 {r['p99_ms']:6.1f} ms  refused {r['refused']:<5} "
        f"errors {r['errors']:<3} server CPU {r['server_cpu_ms_per_request']:5.1f} ms/request"
    )


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty else "")


def _print_table(result: dict[str, Any]) -> None:
    b, s = result["build"], result["serve"]
    print(
        f"\nkbqa bench  commit {result['commit']}  backend {result['backend']}  workers {result['workers']}"
    )
    print(f"model load (PyTorch, for the build)  {b['model_load_s']:6.2f} s")
    print(f"index build       {b['build_s']:6.2f} s  ({b['passages']} passages, {b['passages_per_s']}/s; "
          f"CPU {b['build_cpu_s']} s)")  # fmt: skip
    print(f"cold start        {s['cold_start_median_s']:6.2f} s  (runs: {s['cold_start_s']}; server CPU "
          f"seconds by then: {s['cold_start_cpu_s']})")  # fmt: skip
    print(f"peak RSS          {s['peak_rss_mib']:6.0f} MiB (server, all workers)")
    print("| route | clients | QPS | p50 ms | p95 ms | p99 ms | refused | errors | server CPU ms/req |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in s["loads"]:
        cells = [f"/{r['route']}", r["clients"], r["qps"], r["p50_ms"], r["p95_ms"], r["p99_ms"]]
        cells += [r["refused"], r["errors"], r["server_cpu_ms_per_request"]]
        print("| " + " | ".join(str(c) for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--backend", default="auto", choices=["auto", "torch", "onnx-fp32", "onnx-int8"])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load run")
    parser.add_argument("--starts", type=int, default=3, help="cold starts measured")
    parser.add_argument("--json", type=Path, default=None, help="default: bench-results/<commit>.json")
    args = parser.parse_args()
    env = os.environ | {"KBQA_ENCODER_BACKEND": args.backend, "KBQA_QUERY_CACHE_SIZE": "0"}
    result: dict[str, Any] = {"commit": _commit(), "backend": args.backend, "workers": args.workers,
                              "cores": os.cpu_count(), "python": platform.python_version(),
                              "load_avg_at_start": os.getloadavg()}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        result["build"] = bench_build(args.corpus, index)
        result["serve"] = bench_serve(index, env, args)
    result["load_avg_at_end"] = os.getloadavg()
    _print_table(result)
    path = args.json or Path("bench-results") / f"{result['commit']}-{args.backend}-w{args.workers}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
