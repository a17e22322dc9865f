"""The `kbqa` command in process (typer's CliRunner), on the session's real model and index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import eval.cli
import service.api.app
from indexer.embedding import Embedder
from kbqa.cli import app, main
from service.qa.abstention import AbstentionModel

runner = CliRunner()

QUESTIONS = [
    {
        "id": "t1",
        "question": "who outranks the COO?",
        "answerable": True,
        "evidence": ["the Chief Executive Officer ranks above the COO"],
        "source": "cro-vs-coo",
        "kind": "faq",
    },
    {
        "id": "t2",
        "question": "what does a chief revenue officer do",
        "answerable": True,
        "evidence": ["revenue"],
        "source": "cro-vs-coo",
        "kind": "paraphrase",
    },
    {
        "id": "t3",
        "question": "what is the canteen menu on friday",
        "answerable": False,
        "evidence": [],
        "source": None,
        "kind": "off-topic",
    },
    {
        "id": "t4",
        "question": "how do I reset my vpn password",
        "answerable": False,
        "evidence": [],
        "source": None,
        "kind": "off-topic",
    },
]


@pytest.fixture()
def session_model(monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> None:
    """The commands load the session's model instead of loading it again (9 s each)."""
    monkeypatch.setattr(service.api.app, "default_embedder", lambda _: embedder)
    monkeypatch.setattr(eval.cli, "default_embedder", lambda _: embedder)


def test_ask_prints_the_api_json(index_dir: Path, session_model: None) -> None:
    result = runner.invoke(app, ["ask", "who outranks the COO?", "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert "ranks above the COO" in body["answer"]
    assert body["citations"][0]["doc_id"] == "cro-vs-coo"


def test_a_blank_question_is_a_usage_error(index_dir: Path) -> None:
    result = runner.invoke(app, ["ask", "   ", "--index", str(index_dir)])
    assert result.exit_code == 2 and "empty" in result.output


def test_eval_fits_writes_and_records_its_tuning(
    index_dir: Path, tmp_path: Path, session_model: None
) -> None:
    dataset = tmp_path / "questions.jsonl"
    dataset.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    model, report = tmp_path / "abstention.json", tmp_path / "report.json"
    args = ["eval", "--dataset", str(dataset), "--index", str(index_dir), "--out", str(report)]
    result = runner.invoke(app, [*args, "--fit", str(model)])
    assert result.exit_code == 0, result.output
    fitted = AbstentionModel.from_file(model)
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["n"] == 4 and written["tuning"]["abstention_threshold"] == pytest.approx(fitted.threshold)
    assert set(written["tuning"]["fusion"]) == {"dense", "context", "lexical", "span"}
    assert "tuning: answer" in result.output
    failing = runner.invoke(app, [*args, "--min-accuracy", "1.01"])
    assert failing.exit_code == 1 and "below threshold: answer accuracy" in failing.output


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def test_eval_operating_points_show_what_every_threshold_gives(
    index_dir: Path, tmp_path: Path, session_model: None
) -> None:
    dataset = tmp_path / "questions.jsonl"
    dataset.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    args = ["eval", "--dataset", str(dataset), "--index", str(index_dir), "--out", str(report)]
    result = runner.invoke(app, [*args, "--operating-points", "--min-abstention", "1.01"])
    assert result.exit_code == 1, result.output  # below the abstention target, as asked
    written = json.loads(report.read_text(encoding="utf-8"), parse_constant=_not_json)
    points = written["operating_points"]
    # At the lowest threshold every question with a candidate is answered: at least what the
    # run with the shipped threshold got right, and no more declines.
    assert points[0]["answer_accuracy"] >= written["answer_accuracy"]
    assert points[0]["false_abstentions"] <= written["false_abstentions"]
    assert points[-1]["abstention_accuracy"] == 1.0 and points[-1]["answer_accuracy"] == 0.0
    assert points[-1]["threshold"] is None  # "decline everything", in JSON other parsers read
    assert "met at no threshold" in result.output and "0.95" in result.output
    over_http = runner.invoke(app, [*args, "--operating-points", "--url", "http://localhost:1"])
    assert over_http.exit_code == 2 and "in process only" in over_http.output


def test_library_errors_become_one_line_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["kbqa", "ask", "anything", "--index", str(tmp_path / "none")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: no index at")
