"""`kbqa serve --workers 2`: two worker processes, each building its app from the environment
(the factory), both answering from the one index on disk. A real server on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from eval.bench import _tree


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_workers_serve_the_index(index_dir: Path) -> None:
    port = _free_port()
    env = os.environ | {"KBQA_QUERY_CACHE_SIZE": "0"}
    cmd = [sys.executable, "-m", "kbqa.cli", "serve", "--index", str(index_dir), "--port", str(port)]
    server = subprocess.Popen([*cmd, "--workers", "2"], env=env, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            python_children = [
                p for p in _tree(server.pid)[1:] if "python" in Path(f"/proc/{p}/exe").resolve().name
            ]
            assert len(python_children) >= 2
            # Both workers ready: ask until each has answered (the kernel spreads connections).
            answers = set()
            for _ in range(20):
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as fresh:
                    response = fresh.post("/ask", json={"question": "who outranks the COO?"})
                assert response.status_code in (200, 503)
                if response.status_code == 200:
                    answers.add(response.json()["answer"])
            assert len(answers) == 1 and None not in answers  # the same answer, whichever worker
    finally:
        server.terminate()
        server.wait(timeout=60)
