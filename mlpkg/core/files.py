"""The one atomic write of the package: a temp file beside the target, fsynced, then renamed.

After a crash the target holds either its old or its complete new content, never a prefix.
Model directories (whose folders are also flushed by :func:`fsync_tree` before they are renamed into place),
batch parts, progress files and outputs are all written through it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from glob import escape as glob_escape
from pathlib import Path
from typing import Any


@contextmanager
def atomic_file(path: Path, mode: str = "w"):
    """A temp file next to ``path`` that replaces it (``os.replace``) only when the block succeeds.

    The data are fsynced first, so after a crash ``path`` holds either the old or the complete
    new content, never a prefix.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600 files; the output is the user's, like any file they write
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process's file creation mask (read by setting it and restoring it at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_tree(folder: Path, recursive: bool = True) -> None:
    """Flush ``folder``, and with ``recursive`` every file and folder under it, to disk: a folder renamed
    into place after this holds its complete files after a crash."""
    paths = [*(p for p in folder.rglob("*") if not p.is_symlink()), folder] if recursive else [folder]
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def stale_temp_files(path: Path) -> list[Path]:
    """Temp files :func:`atomic_file` left for ``path`` when its process was killed mid-write."""
    return sorted(path.parent.glob(f".{glob_escape(path.name)}.{'?' * 8}.tmp"))  # mkstemp's 8 random characters


def write_lines(path: Path, lines: Iterable[str]) -> None:
    with atomic_file(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def write_text(path: str | Path, text: str) -> None:
    """``text`` written to ``path`` atomically (UTF-8)."""
    with atomic_file(Path(path)) as fh:
        fh.write(text)


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=1, ensure_ascii=False, sort_keys=False))
