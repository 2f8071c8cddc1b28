"""The files a tag job touches, checked before any work: inputs that exist, outputs that can be
written and that are none of the other files, and a lock beside every file the job writes.

A lock is ``.NAME.lock`` beside ``NAME``, locked while the job runs (by :mod:`filelock`: ``flock`` on POSIX,
``LockFileEx`` on Windows, a marker file where the file system has no ``flock``) and removed when it ends;
``kill -9`` releases the lock with the process, so a lock file left by a killed job never blocks the rerun.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import suppress
from itertools import combinations
from pathlib import Path

import filelock

from ..errors import ConfigError, DataError, DiskFullError, OutputNotWritableError
from .records import file_format, is_stream

STDIO = "-"


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same inode (hard links, symlinks) or the same real path."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return os.path.realpath(a) == os.path.realpath(b)


def check_distinct(paths: dict[str, str]) -> None:
    """Refuse two options naming one file (``-`` is standard input or output, never a file)."""
    for (a, path_a), (b, path_b) in combinations(paths.items(), 2):
        if STDIO not in (path_a, path_b) and same_file(path_a, path_b):
            raise ConfigError(f"{a} and {b} are the same file ({path_b}): the job would overwrite it; "
                              f"give {b} another path")


def check_input(path: str) -> None:
    if path == STDIO:
        return
    if not (Path(path).is_file() or is_stream(path)):
        raise DataError(f"--input {path}: no such file")
    if file_format(path) == "parquet" and not Path(path).is_file():
        raise ConfigError(f"--input {path}: Parquet is read by seeking, so it must be a file, not a pipe")


def check_writable(path: Path, option: str) -> None:
    """Make ``path``'s folder and write a probe file in it, so a read-only place fails now, not after the work."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise os_error(exc, f"{option} {path}", "rerun: nothing was done yet") from None


def os_error(exc: OSError, what: str, then: str) -> OSError:
    """A coded error for an OS failure while writing ``what``; ``then`` says what to do next."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"{what}: no space left on the device ({exc.filename or 'while writing'}); "
                             f"free some space or choose another place, then {then}")
    return OutputNotWritableError(f"{what}: cannot write there ({exc.strerror or exc}: {exc.filename or ''}); "
                                  f"choose a writable place or fix the permissions, then {then}")


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


class OutputLock:
    """An exclusive, non-blocking lock on ``.NAME.lock`` beside the file ``NAME`` a job writes."""

    def __init__(self, target: Path):
        self.target, self.path = target, lock_path(target)
        # timeout=0: a second job is refused at once; not thread-local: the job holds it, whichever thread ends it
        self._lock = filelock.FileLock(self.path, timeout=0, thread_local=False)

    def acquire(self) -> "OutputLock":
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise ConfigError(f"{self.target} is locked: another `mlpkg tag` is writing it ({self.path}); "
                              "wait for it to end or choose another path") from None
        return self

    def release(self) -> None:
        """Remove the lock file while still holding it, so that no other job locks it in between (filelock
        retries on a file removed under it); Windows cannot remove an open file: filelock removes it there."""
        if self._lock.is_locked:
            with suppress(OSError):
                os.unlink(self.path)
            self._lock.release()
