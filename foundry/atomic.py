"""Atomic, deterministic writers: every output is complete or absent.

A crash (or SIGKILL) between write and rename leaves only a ``.tmp-*`` file that no reader and no
Snakemake rule ever takes for the real output.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from foundry.errors import UserError

TMP_PREFIX = ".tmp-"
log = logging.getLogger("foundry.atomic")
_FULL = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


class WriteError(OSError, UserError):
    """The disk is full or the folder is not writable: the message names the path and the fix."""

    def __str__(self) -> str:
        return str(self.strerror)


def _write_error(target: Path, exc: BaseException) -> WriteError | None:
    """A full disk or a refused folder as one sentence (None: some other failure)."""
    if not isinstance(exc, OSError) or isinstance(exc, WriteError):
        return None
    folder = target.parent.resolve()
    if exc.errno in _FULL:
        try:
            free = f"{shutil.disk_usage(folder).free / 1e6:.0f} MB free"
        except OSError:
            free = "free space unknown"
        return WriteError(
            exc.errno,
            f"cannot write {target}: no space left on the disk holding {folder} ({free}); "
            "free space there (old logs/, benchmarks/, .snakemake/ or registry candidates no "
            "longer needed) or move the project to a bigger disk, then run again; nothing "
            "partial was kept",
        )
    if exc.errno in _DENIED:
        return WriteError(
            exc.errno,
            f"cannot write {target}: {exc.strerror.lower()} in {folder}; make that folder "
            f"writable for this user (uid {os.getuid()}), then run again; nothing partial was "
            "kept",
        )
    return None


# A temp name says who made it: ``.tmp-<target>.<pid>@<host>.<random>`` (host: 8 hex digits of
# its name's sha256), so the sweep at the start of a run removes only what a dead process of this
# machine left behind (:func:`sweep`).
_TMP_NAME = re.compile(r"^\.tmp-.+\.(\d+)@([0-9a-f]{8})\.[^.]+$")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _tmp_prefix(target: Path) -> str:
    return f"{TMP_PREFIX}{target.name}.{os.getpid()}@{_host()}."


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside ``path``; rename it over ``path`` only if the block succeeds."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target), dir=target.parent)
    except OSError as exc:
        if (err := _write_error(target, exc)) is not None:
            raise err from exc
        raise
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if (err := _write_error(target, exc)) is not None:
            raise err from exc
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_write(path, "w") as fh:
        fh.write(text)


def dumps_json(obj: Any) -> str:
    """Canonical JSON: sorted keys, UTF-8 kept readable, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    write_text(path, dumps_json(obj))


def write_parquet(path: str | os.PathLike[str], table: Any) -> None:
    """Write a pyarrow Table deterministically (no timestamps, fixed writer options)."""
    import pyarrow.parquet as pq

    with atomic_write(path, "wb") as fh:
        pq.write_table(
            table,
            fh,
            compression="zstd",
            use_dictionary=False,
            write_statistics=False,
            store_schema=True,
        )


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a directory under a temp name and swap it into place when the block succeeds."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target), dir=target.parent))
    except OSError as exc:
        if (err := _write_error(target, exc)) is not None:
            raise err from exc
        raise
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if target.exists():
            old = target.with_name(_tmp_prefix(target) + "old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if (err := _write_error(target, exc)) is not None:
            raise err from exc
        raise


def append_line(path: str | os.PathLike[str], line: bytes, *, durable: bool = False) -> None:
    """Append one whole line to an append-only log (history.jsonl, a shadow log).

    O_APPEND under an exclusive lock, so writers in other threads or processes never lose or
    interleave a line; a torn last line a crash left behind is cut off first; a short write
    (full disk) raises. ``durable``: fsync before returning.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.ftruncate(fd, os.pread(fd, size, 0).rfind(b"\n") + 1)
        if os.write(fd, line) != len(line):
            raise OSError(f"short write to {p} (disk full?); the line was not recorded")
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(path: str | os.PathLike[str]) -> list[bytes]:
    """The whole, non-empty lines of an append-only log (none when it does not exist); a last
    line without its newline is a write cut short (a full disk, a killed writer), left out."""
    p = Path(path)
    if not p.exists():
        return []
    *whole, torn = p.read_bytes().split(b"\n")
    if torn:
        log.warning("%s: its last line has no newline (a write cut short); left out", p)
    return [line for line in whole if line]


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def debris(root: str | os.PathLike[str], folders: tuple[str, ...]) -> list[Path]:
    """Temp files and folders (``.tmp-*``) in ``root`` and anywhere under ``folders``: what a
    killed writer left behind (or what a running one is writing), sorted."""
    base = Path(root)
    found = [p for p in base.glob(TMP_PREFIX + "*")]
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(base / folder):
            for name in dirnames + filenames:
                if name.startswith(TMP_PREFIX):
                    found.append(Path(dirpath) / name)
            dirnames[:] = [d for d in dirnames if not d.startswith(TMP_PREFIX)]
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def is_abandoned(path: Path) -> bool:
    """Whether a temp entry's writer is gone: a dead process of this machine (names from before
    the pid was recorded count as abandoned; another machine's are never judged from here)."""
    m = _TMP_NAME.match(path.name)
    if m is None:
        return True
    pid, host = int(m.group(1)), m.group(2)
    return host == _host() and not _alive(pid)


def sweep(root: str | os.PathLike[str], folders: tuple[str, ...]) -> list[Path]:
    """Remove the temp entries abandoned by killed writers; return what was removed."""
    removed = []
    for p in debris(root, folders):
        if not is_abandoned(p):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        removed.append(p)
    return removed
