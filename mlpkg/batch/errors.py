"""Errors of a tag job that a user can act on, each with a stable code and what to do next.

They subclass :class:`mlpkg.errors.MlpkgError`, so ``mlpkg tag`` prints them as one line and exits 2
instead of showing a traceback. Codes E101–E199 belong to batch jobs.
"""

from __future__ import annotations

from ..errors import MlpkgError

RESUMES = "rerun the same command: the chunks already finished are kept and the job resumes"


class OutputNotWritableError(MlpkgError, PermissionError):
    """The output, the rejects or their folders cannot be written (read-only file system, permissions)."""

    code = "E101"


class DiskFullError(MlpkgError, OSError):
    """The disk filled up while writing the output or the rejects: free space, then rerun to resume."""

    code = "E102"


class InputReadError(MlpkgError, OSError):
    """The input cannot be read to its end (a truncated Parquet or gzip file, a vanished file)."""

    code = "E103"


class WorkerDiedError(MlpkgError, RuntimeError):
    """A worker process ended abruptly (killed, out of memory) while tagging a chunk."""

    code = "E104"
