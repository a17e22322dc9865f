"""The index folder's life on disk: version folders, the one pointer that names the live one, and
the durability steps that make switching it safe at any instant of a crash.

    out/                      what `--out` / `KBQA_INDEX_DIR` names
      current -> versions/000042-20261202T124347Z   the pointer: a relative symlink
      versions/000041-.../    the version before (in-flight readers may still map its files)
      versions/000042-.../    manifest.json, *.json, *.npy, bm25/  (files 0644, folders 0755)
      .lock                   held (flock) by the one build that may write here

The pointer is a symlink replaced with `os.replace` of a temporary symlink, not a pointer file:
both are one atomic rename, but a symlink is resolved by the kernel, so `ls -l`, a Makefile or
`cat out/current/manifest.json` see the live version without reading a file format, and there
is no pointer file whose own content could be torn or half-flushed. A version is written in
place under its final name (a folder the pointer does not name is simply not live), every file
and folder of it is fsynced, then the `versions/` folder, then the pointer is switched and `out/`
is fsynced: after a crash at any point the pointer names a complete version, old or new, and
anything else is an orphan that the next build removes under the lock."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from indexer.errors import IndexLoadError

POINTER = "current"
VERSIONS = "versions"
LOCK = ".lock"
TMP_POINTER_PREFIX = f".{POINTER}.tmp-"
DIR_MODE = 0o755
FILE_MODE = 0o644
# A sequence number first (sorted as an integer, so ordering never depends on the clock), then the
# UTC build time for people reading the folder.
_VERSION_ID = re.compile(r"^(\d{6,})-\d{8}T\d{6}Z$")


def is_version_id(name: str) -> bool:
    return _VERSION_ID.match(name) is not None


def _seq(name: str) -> int:
    match = _VERSION_ID.match(name)
    return int(match.group(1)) if match else -1


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (names created, renamed or removed in it) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(folder: Path) -> None:
    """A readable folder (0755 whatever the umask: the service may run as another user)."""
    os.mkdir(folder, DIR_MODE)
    os.chmod(folder, DIR_MODE)


def write_file(path: Path, payload: bytes) -> None:
    """Create `path` (never overwrite), write all of `payload` and fsync it before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def seal_tree(folder: Path) -> None:
    """Give files written by a library (bm25s) the index's modes and fsync them and their folder."""
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            seal_tree(path)
            continue
        os.chmod(path, FILE_MODE)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.chmod(folder, DIR_MODE)
    fsync_dir(folder)


def pointed_version(out: Path) -> str | None:
    """The id of the live version, read from the pointer alone (cheap: one readlink), or None when
    there is no pointer. A pointer that names no well-formed version is an IndexLoadError."""
    link = out / POINTER
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        return None
    except OSError as exc:  # EINVAL: `current` exists but is not a symlink
        raise IndexLoadError(f"index at {out} is malformed: {POINTER} is not a pointer ({exc})") from exc
    parts = Path(target).parts
    if len(parts) != 2 or parts[0] != VERSIONS or not is_version_id(parts[1]):
        raise IndexLoadError(f"index at {out} is malformed: {POINTER} points to {target!r}")
    return parts[1]


def live_folder(out: Path) -> tuple[str, Path]:
    """(version id, folder) of the live version: the pointer is read once, so a reader never mixes
    the files of two versions even when a build switches it meanwhile."""
    version = pointed_version(out)
    if version is None:
        if (out / "manifest.json").is_file():
            raise IndexLoadError(
                f"index at {out} has the old flat layout (no versions); rebuild it with `kbqa index`"
            )
        raise IndexLoadError(f"no index at {out} (no {POINTER} version); build one with `kbqa index`")
    folder = out / VERSIONS / version
    if not folder.is_dir():
        raise IndexLoadError(f"index at {out} is incomplete: its live version {version} is missing")
    return version, folder


def _versions(out: Path) -> list[str]:
    root = out / VERSIONS
    return sorted((p.name for p in root.iterdir()), key=_seq) if root.is_dir() else []


def kept_versions(out: Path) -> set[str]:
    """The live version and the complete one before it (readers that loaded it before the last
    switch may still hold it). Everything else under versions/ is an orphan or superseded, also a
    newer version that someone rolled the pointer back from. A pointer that cannot be read keeps
    every complete version: nothing is removed on the strength of a pointer nobody understands."""
    root = out / VERSIONS
    complete = [n for n in _versions(out) if is_version_id(n) and (root / n / "manifest.json").is_file()]
    try:
        live = pointed_version(out)
    except IndexLoadError:
        return set(complete)
    if live is None:
        return set()
    return {live, *[n for n in complete if _seq(n) < _seq(live)][-1:]}


def remove_unkept(out: Path) -> list[str]:
    """Remove temporary pointers and every version folder that is not kept; returns what went."""
    removed: list[str] = []
    if out.is_dir():
        for path in out.iterdir():
            if path.name.startswith(TMP_POINTER_PREFIX):
                path.unlink()
                removed.append(path.name)
    keep = kept_versions(out)
    for name in _versions(out):
        if name not in keep:
            path = out / VERSIONS / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(f"{VERSIONS}/{name}")
    return removed


def new_version_folder(out: Path) -> tuple[str, Path]:
    """Create the next version's (empty, 0755) folder, numbered after every folder there is."""
    root = out / VERSIONS
    if not root.is_dir():
        make_dir(root)
        fsync_dir(out)
    seq = max((_seq(n) for n in _versions(out)), default=0) + 1
    version = f"{seq:06d}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    make_dir(root / version)
    return version, root / version


def switch(out: Path, version: str) -> None:
    """Point `current` at a version whose files are all fsynced: a temporary symlink replaced over
    the pointer in one rename, the version entries made durable before, the pointer after."""
    fsync_dir(out / VERSIONS / version)
    fsync_dir(out / VERSIONS)
    tmp = out / f"{TMP_POINTER_PREFIX}{os.getpid()}"
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(f"{VERSIONS}/{version}", tmp)
    os.replace(tmp, out / POINTER)
    fsync_dir(out)


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold `out/.lock` exclusively: the start-of-build cleanup removes any version folder the
    pointer does not name, so a second build must wait rather than have its work removed. The
    kernel releases the lock when the process dies, so a killed build never blocks the next."""
    if not out.is_dir():
        out.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):  # another build created it first
            make_dir(out)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
