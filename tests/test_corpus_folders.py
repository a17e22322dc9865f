"""A corpus is read recursively in every supported format; ids come from relative paths (a flat
corpus keeps the ids of its file names); include/exclude globs; links out of the folder are not
followed; every file not indexed is reported with its reason, and --strict refuses any skip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.build import build_index, prepare
from indexer.chunking import ChunkingParams
from indexer.cleaning import clean_lines, flat
from indexer.corpus import CorpusOptions, doc_id_for, read_corpus
from indexer.errors import CorpusError
from indexer.sentences import split_sentences
from service.index_report import report_lines
from tests.fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "eval" / "intranet_kb"
SENTENCE = "The office opens at nine and closes at six on weekdays."


def write(folder: Path, rel: str, data: str | bytes) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    "corpus", ["corpus", "eval/other_kb/corpus", "eval/web_kb/corpus", "eval/format_kb/corpus"]
)
def test_flat_corpora_keep_the_ids_of_their_file_names(corpus: str) -> None:
    """The eval sets cite these ids: 'CRO vs COO.txt' -> 'cro-vs-coo', as before folders."""
    folder = ROOT / corpus
    names = sorted(p.name for p in folder.iterdir() if p.suffix in (".txt", ".md"))
    expected = [re.sub(r"[^a-z0-9]+", "-", Path(n).stem.lower()).strip("-") for n in names]
    assert [d.doc_id for d in read_corpus(folder).documents] == expected


def test_nested_folders_ids_from_relative_paths_and_metadata(tmp_path: Path) -> None:
    write(tmp_path, "top.txt", SENTENCE)
    write(tmp_path, "hr/Leave Policy.md", "# Leave\n\n" + SENTENCE)
    write(tmp_path, "hr/2024/leave-policy.md", "# Old leave\n\n" + SENTENCE)
    write(
        tmp_path,
        "catalog.json",
        '{"hr/Leave Policy.md": {"owner": "People", "url": "https://x.example/leave"}}',
    )
    docs = {d.doc_id: d for d in read_corpus(tmp_path).documents}
    assert list(docs) == ["top", "hr-leave-policy", "hr-2024-leave-policy"]
    assert doc_id_for("hr/Leave Policy.md") == "hr-leave-policy"
    leave = docs["hr-leave-policy"]
    assert leave.path == "hr/Leave Policy.md"
    assert leave.meta == {
        "source_path": "hr/Leave Policy.md",
        "format": "md",
        "owner": "People",
        "url": "https://x.example/leave",
    }


def test_include_exclude_and_hidden_files(tmp_path: Path) -> None:
    for rel in ("a.txt", "hr/b.txt", "hr/drafts/c.txt", ".hidden.txt", ".git/d.txt"):
        write(tmp_path, rel, SENTENCE)
    ids = lambda o: [d.doc_id for d in read_corpus(tmp_path, o).documents]  # noqa: E731
    assert ids(CorpusOptions()) == ["a", "hr-b", "hr-drafts-c"]
    assert ids(CorpusOptions(include=("hr/*",))) == ["hr-b", "hr-drafts-c"]
    assert ids(CorpusOptions(exclude=("*/drafts/*",))) == ["a", "hr-b"]
    assert read_corpus(tmp_path, CorpusOptions(exclude=("*/drafts/*",))).excluded == 2  # and .hidden.txt


def test_symlinks_out_of_the_corpus_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.txt", "The vault code is 1234 and nobody may know it.")
    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", SENTENCE)
    (corpus / "linked.txt").symlink_to(outside / "secret.txt")
    (corpus / "linked-dir").symlink_to(outside, target_is_directory=True)
    read = read_corpus(corpus)
    assert [d.doc_id for d in read.documents] == ["a"]
    assert {s.path: s.reason for s in read.skipped} == {
        "linked-dir/": "symlink out of the corpus folder, not followed",
        "linked.txt": "symlink out of the corpus folder, not followed",
    }


def test_every_skip_has_a_reason_and_strict_refuses(tmp_path: Path) -> None:
    write(tmp_path, "ok.txt", SENTENCE)
    write(tmp_path, "empty.md", "  \n")
    write(tmp_path, "sheet.xlsx", b"PK\x03\x04")
    write(tmp_path, "scan.pdf", b"%PDF-1.4\n")
    write(tmp_path, "big.txt", SENTENCE * 100)
    options = CorpusOptions(max_file_bytes=1000)
    reasons = {s.path: s.reason for s in read_corpus(tmp_path, options).skipped}
    assert reasons["empty.md"] == "empty"
    assert reasons["sheet.xlsx"] == "unsupported type (.xlsx)"
    assert reasons["scan.pdf"].startswith("unreadable")
    assert reasons["big.txt"].startswith("too large")
    out = tmp_path / "index"
    with pytest.raises(CorpusError, match="4 file\\(s\\).*would be skipped"):
        build_index(tmp_path, out, HashingEmbedder(), options=options, strict=True)
    assert not out.exists()
    manifest = build_index(tmp_path, out, HashingEmbedder(), options=options)
    lines = report_lines(manifest)
    assert any(re.match(r"txt\s+1\s+1 too large\s+0 chars", line) for line in lines), lines
    assert any(re.match(r"pdf\s+0\s+1 unreadable\s+-", line) for line in lines), lines
    assert "skipped sheet.xlsx: unsupported type (.xlsx)" in lines


def test_a_folder_without_supported_files_says_what_it_found(tmp_path: Path) -> None:
    write(tmp_path, "budget.xlsx", b"PK\x03\x04")
    write(tmp_path, "photo.jpg", b"\xff\xd8\xff")
    with pytest.raises(CorpusError, match=r"budget.xlsx: unsupported type \(.xlsx\).*photo.jpg"):
        prepare(tmp_path, ChunkingParams())
    (tmp_path / "nothing").mkdir()
    with pytest.raises(CorpusError, match="no files in"):
        prepare(tmp_path / "nothing", ChunkingParams())


def test_fixture_every_file_indexed_and_no_content_sentence_lost() -> None:
    """The intranet fixture: each source sentence (paragraphs and list items of the text the
    files were generated from) is in the cleaned content of its document, whatever the format."""
    read = read_corpus(FIXTURE / "corpus")
    assert read.skipped == []
    formats = {d.meta["source_path"]: d.meta["format"] for d in read.documents}
    assert sorted(set(formats.values())) == ["docx", "html", "md", "pdf", "txt"]
    by_stem = {Path(d.path).stem: d for d in read.documents}
    lost = []
    for source in sorted((FIXTURE / "source").iterdir()):
        document = by_stem[source.stem]
        kept = " ".join(flat(line.text) for line in clean_lines(document.text) if not line.is_noise)
        kept = re.sub(r"(?<=\w)- (?=\w)", "-", kept)  # "self-\nservice", wrapped at its hyphen
        for block in source.read_text(encoding="utf-8").split("\n\n"):
            if block.startswith(("#", "|")):
                continue
            for item in block.splitlines() if block.startswith("- ") else [" ".join(block.split())]:
                item = item.removeprefix("- ").removeprefix("Q: ").removeprefix("A: ")
                lost += [
                    (source.name, item[s.start : s.end])
                    for s in split_sentences(item)
                    if item[s.start : s.end] not in kept
                ]
    assert lost == []
