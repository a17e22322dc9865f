"""Fixtures of the real-browser tests of the embeddable widget.

Session-wide: an index built by the real CLI (`kbqa index`) from tests/browser/fixtures/corpus
(the CRO-vs-COO article plus a hostile document full of markup and script), two tiny "intranet"
sites on their own loopback origins (one in the service's CORS allow-list, one not), the real
service started with `kbqa serve` on a free loopback port (its CORS allow-list given through the
KBQA_CORS_ORIGINS setting), and Debian's Chromium driven by Playwright.

Chromium is never downloaded: the tests use /usr/bin/chromium (or $KBQA_CHROMIUM) and fail
with the install command when it is missing.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
SCREENSHOT_DIR = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("KBQA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 180.0
TIMEOUT_MS = 20_000

_screenshots: list[Path] = []


# --- processes and servers -------------------------------------------------------------------


def _offline_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def _kbqa_command() -> list[str]:
    """The installed `kbqa` entry point of this interpreter's environment, or the same CLI run
    through the interpreter when the entry point is not installed."""
    script = Path(sys.executable).with_name("kbqa")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from service.cli import main; main()"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """A static site on its own loopback origin, standing in for an intranet page."""

    origin: str
    root: Path
    server: http.server.ThreadingHTTPServer

    def url(self, name: str) -> str:
        return f"{self.origin}/{name}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def _start_site(root: Path) -> Site:
    root.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name=f"site-{root.name}", daemon=True).start()
    return Site(origin=f"http://127.0.0.1:{server.server_address[1]}", root=root, server=server)


@dataclass
class Service:
    base_url: str
    index_dir: Path
    allowed_origin: str
    log_path: Path


@pytest.fixture(scope="session")
def widget_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the fixture corpus, built by the real `kbqa index` command."""
    out = tmp_path_factory.mktemp("widget") / "index"
    cmd = [*_kbqa_command(), "index", "--corpus", str(FIXTURE_CORPUS), "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=_offline_env(), capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"`kbqa index` failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return out


@pytest.fixture(scope="session")
def allowed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = _start_site(tmp_path_factory.mktemp("site-allowed"))
    yield site
    site.server.shutdown()


@pytest.fixture(scope="session")
def refused_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = _start_site(tmp_path_factory.mktemp("site-refused"))
    yield site
    site.server.shutdown()


@pytest.fixture(scope="session")
def service(
    widget_index: Path, allowed_site: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The real service (`kbqa serve`) on a free loopback port; only `allowed_site`'s origin is in
    its CORS allow-list, given as the KBQA_CORS_ORIGINS setting."""
    env = _offline_env(KBQA_CORS_ORIGINS=json.dumps([allowed_site.origin]))
    log_path = tmp_path_factory.mktemp("service") / "serve.log"
    with running_service(["--index", str(widget_index)], env, log_path) as base:
        yield Service(
            base_url=base, index_dir=widget_index, allowed_origin=allowed_site.origin, log_path=log_path
        )


@contextlib.contextmanager
def running_service(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`kbqa serve ARGS` on a free loopback port, ready; yields its base URL and stops it after."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [*_kbqa_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(base, proc, log_path)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the service exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}"
            )
        try:
            response = httpx.get(f"{base}/readyz", timeout=2.0)
            if response.status_code == 200:
                return
            last = f"/readyz {response.status_code}: {response.text[:300]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.25)
    log = log_path.read_text(errors="replace")[-4000:]
    pytest.fail(f"service not ready after {START_TIMEOUT_S:.0f}s ({last}):\n{log}")


@pytest.fixture(scope="session")
def api(service: Service) -> Iterator[httpx.Client]:
    """A plain HTTP client on the running service, to compare what the browser shows with the API."""
    with httpx.Client(base_url=service.base_url, timeout=30.0) as client:
        yield client


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is not installed (it is in the dev extras): "
            ".venv/bin/pip install -e '.[dev]'",
            pytrace=False,
        )
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The browser tests drive Debian's Chromium and never "
            f"download a browser; install it with `{CHROMIUM_INSTALL}` (or set KBQA_CHROMIUM).",
            pytrace=False,
        )
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Opens pages in fresh browser contexts: new_page(width=, height=, color_scheme=). Every page
    records the dialogs it raised (page.dialogs) and dismisses them."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 800, color_scheme: str = "light") -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=color_scheme)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.dialogs = dialogs
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def save_screenshot() -> Callable[[Any, str], Path]:
    def save(page: Any, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path))
        _screenshots.append(path)
        print(f"screenshot: {path}")
        return path

    return save


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _screenshots:
        terminalreporter.section("widget screenshots")
        for path in _screenshots:
            terminalreporter.line(str(path))
