"""What the batch job does differently on Linux, macOS and Windows: CPUs, file locks, worker start.

Linux is where mlpkg is tested; macOS takes the same POSIX paths except for the CPU count, and
Windows (untested) locks with ``msvcrt`` and starts workers by ``spawn``.
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import suppress
from multiprocessing.context import BaseContext
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask on Linux (a container or ``taskset`` limit),
    ``os.cpu_count()`` where there is none (macOS, Windows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def try_lock(fh: IO) -> bool:
    """Lock the open file ``fh`` for this process without waiting; False when another process holds it.
    The lock goes with the process (``kill -9`` included): ``flock`` on POSIX, ``msvcrt.locking`` on Windows."""
    if fcntl is not None:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt

    fh.seek(0)
    try:
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def unlock_and_remove(fh: IO, path: os.PathLike) -> None:
    """Release a lock taken by :func:`try_lock` and remove its file. On POSIX the file goes while still
    locked, so that no other process can lock it in between; Windows cannot remove an open file, so
    there it goes after, unless another process has opened it meanwhile (that one then takes it over)."""
    if fcntl is not None:
        with suppress(FileNotFoundError):
            os.unlink(path)
        fh.close()
        return
    fh.close()
    with suppress(OSError):
        os.unlink(path)


def worker_context() -> BaseContext:
    """How worker processes start: from a fork server (fast, and safe from a driver that runs threads)
    where there is one (Linux, macOS), else by ``spawn`` (Windows)."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)
