"""`kbqa serve --corpus` (which index folder, when it is built, never another corpus's),
`kbqa ask --url` (a running service over HTTP) and `kbqa --version`."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from indexer import __version__, code_sha256
from indexer.build import build_index
from indexer.chunking import ChunkingParams
from indexer.embedding import Embedder
from indexer.errors import CorpusError
from indexer.versions import live_folder
from kbqa.cli import app, main
from service.corpus_index import index_dir_for, staleness

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("corpus", "index"),
    [
        ("corpus", "index"),
        ("corpus/", "index"),
        ("./corpus", "index"),
        ("eval/web_kb/corpus", "indexes/eval-web_kb-corpus"),
        ("/srv/intranet/", "indexes/-srv-intranet"),
    ],
)
def test_the_index_folder_is_named_for_the_corpus_as_the_makefile_does(corpus: str, index: str) -> None:
    assert index_dir_for(Path(corpus)) == Path(index)


def test_an_index_is_built_when_missing_or_stale_and_never_over_another_corpus(
    tmp_path: Path, embedder: Embedder
) -> None:
    corpus, other = tmp_path / "kb", tmp_path / "other"
    shutil.copytree(ROOT / "tests/browser/fixtures/corpus", corpus)
    shutil.copytree(corpus, other)
    out, params = tmp_path / "index", ChunkingParams()
    assert staleness(corpus, out, params) == "no index yet"
    build_index(corpus, out, embedder, params)
    assert staleness(corpus, out, params) is None
    (corpus / "canteen.txt").write_text("Canteen\n\nThe canteen is closed on Fridays.\n", encoding="utf-8")
    assert staleness(corpus, out, params) == "the corpus changed"
    assert staleness(corpus, out, ChunkingParams(max_words=60)) == "the chunking settings changed"
    with pytest.raises(CorpusError, match="was built from"):
        staleness(other, out, params)


def test_an_index_built_by_other_indexer_code_is_stale(tmp_path: Path, embedder: Embedder) -> None:
    corpus, out, params = ROOT / "tests/browser/fixtures/corpus", tmp_path / "index", ChunkingParams()
    build_index(corpus, out, embedder, params)
    assert staleness(corpus, out, params) is None
    manifest_path = live_folder(out)[1] / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["indexer_sha256"] == code_sha256()
    manifest_path.write_text(json.dumps({**manifest, "indexer_sha256": "0" * 64}), encoding="utf-8")
    assert staleness(corpus, out, params) == "the indexer's code changed"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"kbqa {__version__}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def running_service(index_dir: Path, embedder: Embedder) -> Iterator[str]:
    """The app on a loopback port, in a thread, on the session's model and index."""
    import uvicorn

    from service.api.app import create_app
    from service.config import Settings

    port = _free_port()
    app_ = create_app(Settings(index_dir=index_dir), embedder_factory=lambda _: embedder)
    server = uvicorn.Server(uvicorn.Config(app_, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_ask_url_uses_the_running_service(running_service: str, tmp_path: Path) -> None:
    # No index here: the answer can only come from the service.
    args = ["ask", "who outranks the COO?", "--url", running_service, "--index", str(tmp_path / "none")]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert "ranks above the COO" in body["answer"] and body["display"]
    printed = runner.invoke(app, args)
    assert printed.exit_code == 0 and "ranks above the COO" in printed.output


def test_ask_url_declined_answer_shows_no_internals(running_service: str) -> None:
    result = runner.invoke(app, ["ask", "what is the wifi password", "--url", running_service])
    assert result.exit_code == 0, result.output
    assert "Not covered by the knowledge base." in result.output
    assert "confidence" not in result.output and "below" not in result.output


def test_ask_url_reports_an_unreachable_service(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setattr("sys.argv", ["kbqa", "ask", "anything", "--url", url])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: cannot reach the service at {url}")


def test_serving_a_missing_index_is_named_before_the_model_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import warn_missing_index

    warn_missing_index(tmp_path / "none")
    err = capsys.readouterr().err
    assert err.startswith("warning: no index at") and "kbqa serve --corpus FOLDER" in err


def test_serve_corpus_fails_before_the_model_loads_on_a_missing_corpus(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["serve", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i")]
    )
    assert result.exit_code != 0
    assert "corpus folder not found" in str(result.exception)
