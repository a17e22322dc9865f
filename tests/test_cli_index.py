"""`kbqa index` ends with its per-format report; --strict turns any skip into an error."""

from __future__ import annotations

from pathlib import Path

import pytest

import indexer.embedding
from kbqa.cli import main
from tests.fakes import HashingEmbedder


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(indexer.embedding, "SentenceTransformerEmbedder", lambda _: HashingEmbedder())
    monkeypatch.setattr("sys.argv", ["kbqa", "index", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_index_reports_each_format_and_strict_refuses_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "hr").mkdir(parents=True)
    (corpus / "hr" / "leave.md").write_text("# Leave\n\nEvery parent gets sixteen weeks of paid leave.\n")
    (corpus / "budget.xlsx").write_bytes(b"PK\x03\x04")
    out = tmp_path / "index"
    code, _, err = run(monkeypatch, capsys, "--corpus", str(corpus), "--out", str(out), "--strict")
    assert code != 0
    assert "1 file(s)" in err and "budget.xlsx: unsupported type (.xlsx)" in err
    assert not out.exists()
    code, printed, _ = run(monkeypatch, capsys, "--corpus", str(corpus), "--out", str(out))
    assert code == 0
    lines = printed.splitlines()
    assert lines[0].startswith("indexed 1 documents")
    assert any(line.split()[:3] == ["md", "1", "0"] for line in lines)
    assert any(line.split()[:4] == ["other", "0", "1", "unsupported"] for line in lines)
    assert "skipped budget.xlsx: unsupported type (.xlsx)" in lines
    code, printed, _ = run(
        monkeypatch, capsys, "--corpus", str(corpus), "--out", str(out), "--exclude", "*.xlsx", "--strict"
    )
    assert code == 0 and "1 file(s) left out on purpose" in printed
