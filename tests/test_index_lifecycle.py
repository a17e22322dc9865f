"""The index folder's life on disk: crash injection at every step of a build's write (not at
random times: the write is milliseconds of a build), orphans, the old flat layout, and indexes of
the wrong shape refused with a reason.

A crash is a child process (forked, so nothing is imported again) whose k-th filesystem operation
on the index folder calls `os._exit(1)` instead, for every k of the build. After each kill the
index must load as the old or the new version, completely; the next build must leave no orphans
and reuse the vectors of the live version."""

from __future__ import annotations

import builtins
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.build import build_index
from indexer.errors import IndexLoadError
from indexer.store import read_index, read_manifest
from indexer.versions import live_folder
from tests.fakes import HashingEmbedder

CORPUS = {
    "coo.txt": "The Chief Operating Officer\n\nThe COO runs the daily operations of the company. "
    "The COO reports to the CEO and works with every department head.\n\n"
    "Duties\n\nThe COO sets budgets, hires managers and reviews quarterly results.\n",
    "cro.txt": "The Chief Revenue Officer\n\nThe CRO owns every team that brings in revenue: sales, "
    "marketing and customer success.\n\nMetrics\n\nA CRO is measured on revenue growth, churn "
    "and the length of the sales cycle.\n",
    "cso.txt": "The Chief Strategy Officer\n\nThe CSO turns the company's goals into a plan and "
    "checks that the plan is followed.\n",
}
CHANGED = ("cso.txt", "\nA CSO usually reports to the CEO and meets the board twice a year.\n")
LAYOUT = [".lock", "current", "versions"]


def write_corpus(folder: Path, changed: bool) -> Path:
    folder.mkdir(parents=True)
    for name, text in CORPUS.items():
        (folder / name).write_text(text + (CHANGED[1] if changed and name == CHANGED[0] else ""))
    return folder


# --- the crash injector -------------------------------------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT


def _shown(target: object, root: str) -> str:
    """A step's target as the trace shows it: relative to the index folder, the version's build
    time and the builder's pid masked, so that two runs of one build give the same trace."""
    if not isinstance(target, str | Path):
        return ""
    name = os.fspath(target).removeprefix(root).lstrip(os.sep) or "."
    return re.sub(r"(\d{6,})-\d{8}T\d{6}Z", r"\1-TIME", re.sub(r"tmp-\d+$", "tmp-PID", name))


def _instrument(root: str, kill_at: int, trace: list[str]) -> None:
    """Replace the filesystem operations a build uses by ones that count each mutating operation on
    `root` in `trace` and kill the process at the `kill_at`-th (0: never).

    `os.fsync` is counted but does nothing: a killed process loses nothing it wrote (the page cache
    outlives it), so fsync changes nothing these kills can observe, and real ones would make the
    suite disk-bound. Where the fsyncs stand against the switch is checked on the trace instead."""
    fd_paths: dict[int, str] = {}  # descriptors opened on `root`, for the trace
    written: set[int] = set()

    def under(path: object) -> bool:
        name = os.fspath(path) if isinstance(path, str | Path) else ""
        return name == root or name.startswith(root + os.sep)

    def step(name: str, target: object) -> None:
        trace.append(
            f"{name} {_shown(fd_paths.get(target, '') if isinstance(target, int) else target, root)}"
        )
        if len(trace) == kill_at:
            os._exit(1)

    def wrap(module: Any, name: str, counts: Callable[..., bool], real: Callable[..., Any]) -> None:
        def patched(*args: Any, **kwargs: Any) -> Any:
            if counts(*args, **kwargs):
                step(name, args[0] if args else "")
            return real(*args, **kwargs)

        setattr(module, name, patched)

    real_open, real_close = os.open, os.close

    def tracked_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        fd = real_open(path, flags, *args, **kwargs)
        if under(path):
            fd_paths[fd] = os.fspath(path)
            if flags & _WRITE_FLAGS:
                written.add(fd)
        return fd

    def tracked_close(fd: int) -> None:
        fd_paths.pop(fd, None)
        written.discard(fd)
        real_close(fd)

    def on_root(*args: Any, **kwargs: Any) -> bool:
        return any(under(a) for a in args) or "dir_fd" in kwargs  # rmtree passes names and dir_fd

    os.close = tracked_close
    wrap(os, "open", lambda p, flags, *a, **k: under(p) and bool(flags & _WRITE_FLAGS), tracked_open)
    wrap(builtins, "open", lambda p, m="r", *a, **k: under(p) and any(c in m for c in "wax+"), builtins.open)
    wrap(os, "write", lambda fd, *a, **k: fd in written, os.write)
    wrap(os, "fsync", lambda fd: fd in fd_paths, lambda fd: None)
    for name in ("replace", "rename", "symlink", "mkdir", "chmod", "unlink", "rmdir"):
        wrap(os, name, on_root, getattr(os, name))
    wrap(shutil, "rmtree", lambda p, *a, **k: under(p), shutil.rmtree)


def _child(corpus: Path, out: Path, kill_at: int, conn: Any) -> None:
    trace: list[str] = []
    try:
        _instrument(str(out.resolve()), kill_at, trace)
        # corpus-b stands for corpus-a after an edit: another folder, so the build says replace.
        build_index(corpus, out, HashingEmbedder(), replace=True)
        conn.send(trace)
        os._exit(0)
    except BaseException as exc:  # a build that fails (rather than dies) is a test failure
        conn.send(f"{type(exc).__name__}: {exc}")
        os._exit(2)


def build_killed_at(corpus: Path, out: Path, kill_at: int) -> tuple[int, list[str] | str | None]:
    """Run a build in a forked child killed at its `kill_at`-th filesystem step (0: not killed);
    returns its exit code (1 = killed) and, when it finished, its trace of steps."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(corpus, out, kill_at, send))
    child.start()
    send.close()
    child.join(timeout=60)
    try:
        message = receive.recv() if receive.poll() else None
    except EOFError:  # killed: nothing was sent
        message = None
    return child.exitcode or 0, message


# --- the crash suite ----------------------------------------------------------------------------


@dataclass
class Scenario:
    """A build from a known starting folder, and what the index holds before and after it."""

    name: str
    template: Path  # the index folder before the build (may not exist)
    corpus: Path
    old_hashes: list[str] | None  # text hashes of the live version before, None: no index
    new_hashes: list[str]
    new_vectors: np.ndarray


def _scenarios(tmp: Path) -> list[Scenario]:
    before, after = write_corpus(tmp / "corpus-a", False), write_corpus(tmp / "corpus-b", True)
    reference = tmp / "reference"
    build_index(after, reference, HashingEmbedder())
    new = read_index(reference)
    template = tmp / "template"
    build_index(before, template, HashingEmbedder())
    build_index(before, template, HashingEmbedder())  # a version before the live one, to prune
    old = read_index(template).text_hashes
    # A build killed just before its switch: every file of its version written, none of it live.
    crashed = _fresh_copy(template, tmp / "crashed")
    _, trace = build_killed_at(after, _fresh_copy(template, tmp / "crashed-dry"), 0)
    assert isinstance(trace, list)
    assert build_killed_at(after, crashed, trace.index("replace .current.tmp-PID"))[0] == 1
    new_vectors = np.array(new.all_vectors)
    return [
        Scenario("first-build", tmp / "none", before, None, *_hashes_and_vectors(before, tmp)),
        Scenario("incremental-build", template, after, old, new.text_hashes, new_vectors),
        Scenario("build-after-a-crash", crashed, after, old, new.text_hashes, new_vectors),
    ]


def _hashes_and_vectors(corpus: Path, tmp: Path) -> tuple[list[str], np.ndarray]:
    out = tmp / f"reference-{corpus.name}"
    build_index(corpus, out, HashingEmbedder())
    data = read_index(out)
    return data.text_hashes, np.array(data.all_vectors)


def _fresh_copy(template: Path, dest: Path) -> Path:
    if template.exists():
        shutil.copytree(template, dest, symlinks=True)
    return dest


def _check_after_kill(s: Scenario, out: Path, switched: bool) -> None:
    """The index loads completely as the old version (or no index, before the first) until the
    pointer's switch, and as the new one from then on."""
    if not switched and s.old_hashes is None:
        with pytest.raises(IndexLoadError, match="no index"):
            read_index(out)
        return
    data = read_index(out)  # checksums, shapes and references are checked by the load itself
    assert data.text_hashes == (s.new_hashes if switched else s.old_hashes)
    if switched:
        assert np.array_equal(np.asarray(data.all_vectors), s.new_vectors)


def _check_recovery(s: Scenario, out: Path, switched: bool) -> dict[str, Any]:
    """The next build succeeds, leaves only the live version and the one before it, and embeds
    nothing the live version already has."""
    manifest = build_index(s.corpus, out, HashingEmbedder(), replace=True)
    counts = manifest["counts"]
    assert sorted(p.name for p in out.iterdir()) == LAYOUT
    kept = sorted(p.name for p in (out / "versions").iterdir())
    assert kept[-1] == manifest["version"] and len(kept) == (2 if switched or s.old_hashes else 1)
    assert read_index(out).text_hashes == s.new_hashes
    if switched:
        assert counts["embedded"] == 0 and counts["reused"] > 0
    elif s.old_hashes is not None:
        assert counts["reused"] > 0 and counts["embedded"] <= len(set(s.new_hashes) - set(s.old_hashes))
    return counts


def test_a_build_killed_at_any_step_leaves_a_loadable_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # see `_instrument`: kills cannot observe it
    started = time.perf_counter()
    injected = survived = 0
    failures: list[str] = []
    for s in _scenarios(tmp_path):
        dry = [
            build_killed_at(s.corpus, _fresh_copy(s.template, tmp_path / f"dry-{s.name}-{i}"), 0)
            for i in range(2)
        ]
        assert dry[0][0] == 0 and isinstance(dry[0][1], list), dry[0]
        trace = dry[0][1]
        assert trace == dry[1][1], "the build's filesystem steps are not deterministic"
        switch_step = next(i for i, op in enumerate(trace, 1) if op.startswith("replace "))
        assert len(trace) >= 20
        for k in range(1, len(trace) + 1):
            out = _fresh_copy(s.template, tmp_path / f"{s.name}-{k}")
            code, message = build_killed_at(s.corpus, out, k)
            assert code == 1, f"{s.name}: step {k} ({trace[k - 1]}): exit {code}, {message}"
            injected += 1
            try:
                _check_after_kill(s, out, switched=k > switch_step)
                _check_recovery(s, out, switched=k > switch_step)
                survived += 1
            except (AssertionError, IndexLoadError) as exc:
                failures.append(f"{s.name}: killed at step {k} ({trace[k - 1]}): {exc!r}")
            shutil.rmtree(out)
        print(f"\n{s.name}: {len(trace)} filesystem steps, the pointer switch is step {switch_step}")
    took = time.perf_counter() - started
    print(f"crash injection: {survived} of {injected} kills survived in {took:.1f} s")
    assert injected >= 20 and survived == injected, "\n".join(failures)


def test_every_file_and_folder_is_fsynced_before_the_switch(tmp_path: Path) -> None:
    """What a power cut (not a kill) could lose: the order of the fsyncs against the switch."""
    corpus = write_corpus(tmp_path / "corpus", False)
    code, trace = build_killed_at(corpus, tmp_path / "index", 0)
    assert code == 0 and isinstance(trace, list), trace
    switch = trace.index("replace .current.tmp-PID")
    created = [op.split(" ", 1)[1] for op in trace[:switch] if op.split(" ")[0] in ("open", "mkdir")]
    version = next(path for path in created if path.startswith("versions/"))
    assert version.count("/") == 1 and len(created) > 12
    for path in [*created, "versions"]:
        if path.startswith(version) or path == "versions":
            assert f"fsync {path}" in trace[:switch], f"{path} is not fsynced before the switch"
    assert "fsync ." in trace[switch:], "the pointer's folder is not fsynced after the switch"


# --- orphans, layout, permissions ---------------------------------------------------------------


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus", False)


@pytest.fixture()
def built(tmp_path: Path, corpus: Path) -> Path:
    out = tmp_path / "index"
    build_index(corpus, out, HashingEmbedder())
    return out


def test_orphans_are_removed_when_a_build_starts(built: Path, corpus: Path) -> None:
    live = read_manifest(built)["version"]
    (built / "versions" / "999999-20990101T000000Z").mkdir()  # a build that died half-way
    (built / "versions" / "junk").write_text("")
    os.symlink("versions/" + live, built / ".current.tmp-4242")
    manifest = build_index(corpus, built, HashingEmbedder())
    assert sorted(p.name for p in built.iterdir()) == LAYOUT
    assert sorted(p.name for p in (built / "versions").iterdir()) == [live, manifest["version"]]


def test_the_manifest_names_the_live_version(built: Path, corpus: Path) -> None:
    first = read_manifest(built)
    second = build_index(corpus, built, HashingEmbedder())
    assert read_manifest(built)["version"] == second["version"] != first["version"]
    assert read_index(built).manifest["version"] == second["version"]
    assert read_manifest(built)["created"] == second["created"]
    assert os.readlink(built / "current") == f"versions/{second['version']}"  # relative: movable


def test_an_index_in_the_old_flat_layout_is_no_index_until_rebuilt(built: Path, corpus: Path) -> None:
    flat = built.parent / "flat"
    shutil.copytree(live_folder(built)[1], flat)
    with pytest.raises(IndexLoadError, match="old flat layout"):
        read_index(flat)
    (flat / "notes.txt").write_text("not ours")
    manifest = build_index(corpus, flat, HashingEmbedder())
    assert manifest["counts"]["embedded"] == 0  # its vectors were reused all the same
    assert sorted(p.name for p in flat.iterdir()) == sorted([*LAYOUT, "notes.txt"])
    assert read_index(flat).manifest["version"] == manifest["version"]


def test_a_build_refuses_a_current_that_is_not_a_pointer(built: Path, corpus: Path) -> None:
    kept = sorted(p.name for p in (built / "versions").iterdir())
    (built / "current").unlink()
    (built / "current").mkdir()
    with pytest.raises(IndexLoadError, match="not the index's pointer"):
        build_index(corpus, built, HashingEmbedder())
    assert sorted(p.name for p in (built / "versions").iterdir()) == kept  # nothing removed


def test_concurrent_builds_take_turns(built: Path, corpus: Path) -> None:
    """The start-of-build cleanup removes unnamed versions, so builds hold a lock in turn."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: build_index(corpus, built, HashingEmbedder()), range(2)))
    assert all(r["counts"]["embedded"] == 0 for r in results)
    assert sorted(p.name for p in (built / "versions").iterdir()) == sorted(r["version"] for r in results)
    assert read_manifest(built)["version"] == max(r["version"] for r in results)


def test_a_build_repoints_a_foreign_pointer_without_removing_versions_first(
    built: Path, corpus: Path
) -> None:
    second = build_index(corpus, built, HashingEmbedder())["version"]
    (built / "current").unlink()
    os.symlink("../elsewhere", built / "current")
    third = build_index(corpus, built, HashingEmbedder())
    assert third["counts"]["embedded"] > 0  # no live version to reuse from
    assert sorted(p.name for p in (built / "versions").iterdir()) == [second, third["version"]]
    assert read_manifest(built)["version"] == third["version"]
