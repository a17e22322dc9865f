"""Hot swap under load: 32 concurrent loopback clients keep asking while the index is rebuilt
and reloaded twice; not one request fails, and the new documents serve once reloaded. A real
uvicorn server on a free loopback port; the hashing embedder keeps the rebuilds fast."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr

from indexer.build import build_index
from service.api.app import create_app
from service.config import Settings
from tests.fakes import HashingEmbedder

KEY = "swap-admin-key-0123456789"
CLIENTS = 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_reloads_under_32_concurrent_clients_fail_no_request(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "leave.txt").write_text("Leave\n\nStaff get 25 days of leave a year.\n", encoding="utf-8")
    build_index(corpus, index, HashingEmbedder())
    settings = Settings(index_dir=index, admin_key=SecretStr(KEY), max_in_flight=CLIENTS)
    app = create_app(settings, embedder_factory=lambda _: HashingEmbedder())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    statuses: Counter[int] = Counter()
    lock, stop = threading.Lock(), threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not stop.is_set():
                if n % 2:
                    r = http.post("/ask", json={"question": "how many days of leave"})
                else:
                    r = http.get("/search", params={"q": "leave days"})
                with lock:
                    statuses[r.status_code] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        with httpx.Client(base_url=base, timeout=60) as admin:
            for version in (1, 2):
                time.sleep(1.0)
                (corpus / f"parking-{version}.txt").write_text(
                    f"Parking {version}\n\nThere are {version * 10} parking spaces.\n", encoding="utf-8"
                )
                build_index(corpus, index, HashingEmbedder())
                reload = admin.post("/admin/reload", headers={"Authorization": f"Bearer {KEY}"})
                assert reload.status_code == 200, reload.text
                assert admin.get(f"/documents/parking-{version}").status_code == 200
            time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.should_exit = True
        serving.join(timeout=30)
    total = sum(statuses.values())
    print(f"hot swap: {total} requests from {CLIENTS} clients across 2 reloads: {dict(statuses)}")
    assert set(statuses) == {200} and total > CLIENTS
