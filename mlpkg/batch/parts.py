"""Chunked, resumable job state: part files and a progress record next to the output.

Layout, for ``--output out.jsonl``::

    out.jsonl.parts/
        progress.json          # the job fingerprint and, per finished chunk, its counts
        part-000000.jsonl      # tagged rows of chunk 0
        rejects-000000.jsonl   # rejects of chunk 0
        lock                   # flock'ed while a job runs

Every file is written to a temp file and ``os.replace``d, and a chunk counts as done only once
``progress.json`` (itself replaced atomically) lists it. A ``kill -9`` at any moment therefore
leaves done chunks complete and not-done chunks to be redone; redoing a chunk rewrites its parts
in place, so each row reaches the final output exactly once. The final files are assembled from
the parts of the chunks in order (again temp + rename) and the parts folder is removed last.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .io import atomic_file, write_lines

PROGRESS_FILE = "progress.json"


@dataclass
class ChunkCounts:
    read: int
    tagged: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)
    digest: str | None = None  # of the raw input lines (JSONL), so resuming from stdin checks its input


def parts_dir(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


class PartStore:
    """The parts folder of one job; ``fingerprint`` names what must match to resume it."""

    def __init__(self, output: Path, fingerprint: dict[str, Any]):
        self.dir = parts_dir(output)
        self.fingerprint = fingerprint
        self.done: dict[int, ChunkCounts] = {}
        self.resumed = False
        self._lock = None

    def open(self) -> "PartStore":
        """Lock the folder and load the progress of an interrupted run of the same job, if any."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.dir / "lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ConfigError(f"{self.dir} is locked: another `mlpkg tag` is writing this output") from None
        progress = self.dir / PROGRESS_FILE
        if progress.exists():
            record = json.loads(progress.read_text(encoding="utf-8"))
            if record.get("job") == self.fingerprint:
                self.done = {int(k): ChunkCounts(**v) for k, v in record["chunks"].items()}
                self.resumed = True
            else:
                self._clear()
        return self

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _clear(self) -> None:
        for path in self.dir.iterdir():
            if path.name != "lock":
                path.unlink()

    def part(self, chunk: int) -> Path:
        return self.dir / f"part-{chunk:06d}.jsonl"

    def rejects(self, chunk: int) -> Path:
        return self.dir / f"rejects-{chunk:06d}.jsonl"

    def is_done(self, chunk: int, digest: str | None) -> ChunkCounts | None:
        counts = self.done.get(chunk)
        return counts if counts is not None and counts.digest == digest else None

    def write_rejects(self, chunk: int, lines: list[str]) -> None:
        write_lines(self.rejects(chunk), lines)

    def finish_chunk(self, chunk: int, tagged: list[str], model_rejects: list[str], counts: ChunkCounts) -> None:
        """Write the chunk's tagged rows (merging any model rejects into its rejects), then record it done."""
        write_lines(self.part(chunk), tagged)
        if model_rejects:
            with open(self.rejects(chunk), encoding="utf-8") as fh:
                lines = [line.rstrip("\n") for line in fh] + model_rejects
            write_lines(self.rejects(chunk), sorted(lines, key=lambda line: json.loads(line)["row"]))
        self.done[chunk] = counts
        record = {"job": self.fingerprint, "chunks": {str(k): vars(v) for k, v in sorted(self.done.items())}}
        with atomic_file(self.dir / PROGRESS_FILE) as fh:
            json.dump(record, fh)

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def input_fingerprint(path: str) -> dict[str, Any]:
    """Path, size and modification time: a changed input file starts the job over."""
    if path == "-":
        return {"path": "-"}
    st = os.stat(path)
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
