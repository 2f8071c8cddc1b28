"""What the batch job does differently on Linux, macOS and Windows: CPUs and worker start (the output
locks are :mod:`filelock`'s, portable by themselves: :mod:`mlpkg.batch.paths`).

Linux is where mlpkg is tested; macOS takes the same POSIX paths except for the CPU count, and
Windows (untested) starts workers by ``spawn``.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import BaseContext


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask on Linux (a container or ``taskset`` limit),
    ``os.cpu_count()`` where there is none (macOS, Windows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def worker_context() -> BaseContext:
    """How worker processes start: from a fork server (fast, and safe from a driver that runs threads)
    where there is one (Linux, macOS), else by ``spawn`` (Windows)."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)
