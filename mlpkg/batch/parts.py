"""Chunked, resumable job state: part files and a progress record next to the output.

Layout, for ``--output out.jsonl`` (``--output -``: beside the rejects file)::

    out.jsonl.parts/
        progress.json          # the job fingerprint and, per finished chunk, its counts and input digest
        part-000000.jsonl      # tagged rows of chunk 0
        rejects-000000.jsonl   # rejects of chunk 0
    .out.jsonl.lock            # locked while a job runs, one beside every file the job writes
    .out.rejects.jsonl.lock

Every file is written to a temp file and ``os.replace``d, and a chunk counts as done only once
``progress.json`` (itself replaced atomically) lists it. A ``kill -9`` at any moment therefore
leaves done chunks complete and not-done chunks to be redone; redoing a chunk rewrites its parts
in place, so each row reaches the final output exactly once. A chunk is resumed only if the input
records up to its end hash to the digest recorded with it (a change anywhere before it can make
one of its rows a ``duplicate_id``, or no longer one) and its part files are there. The final files are
assembled from the parts of the chunks in order (again temp + rename); then ``progress.json`` is
removed before the rest of the folder, so a kill during the clean-up leaves a folder that the
rerun starts afresh, never one that lists parts it no longer has. The temp files a killed job
left beside the final files are removed when the next job on them takes the locks.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.files import atomic_file, stale_temp_files, write_lines
from .paths import OutputLock

PROGRESS_FILE = "progress.json"


@dataclass
class ChunkCounts:
    read: int
    tagged: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)
    digest: str = ""  # of the input records up to the chunk's end, so a resumed chunk has the same input before it


def parts_dir(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


# Fingerprint keys in the words a user knows them by, for the message that says why a job starts over.
_CHANGES = {"input": "the input file", "model": "the model", "summarizer": "the summariser",
            "fields": "--id-field/--text-field/--title-field", "max_chars": "--max-chars", "chunk_size": "--chunk-size",
            "evidence": "--evidence"}


class PartStore:
    """The parts folder of one job; ``fingerprint`` names what must match to resume it.

    ``anchor`` is the file the folder is named after, ``writes`` every file the job writes (each is
    locked). After :meth:`open`, ``restart`` says why an interrupted run's chunks were discarded.
    """

    def __init__(self, anchor: Path, fingerprint: dict[str, Any], writes: list[Path]):
        self.dir = parts_dir(anchor)
        self.fingerprint = fingerprint
        self.done: dict[int, ChunkCounts] = {}
        self.resumed = False
        self.restart: str | None = None
        self._locks = [OutputLock(path) for path in writes]
        self._held = False

    def open(self) -> "PartStore":
        """Lock the files, clear what a killed run left half-written, load the progress of the same job."""
        try:
            for lock in self._locks:
                lock.acquire()
        except BaseException:
            self.close()
            raise
        self._held = True
        for lock in self._locks:
            for tmp in stale_temp_files(lock.target):
                tmp.unlink()
        self.dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.dir.glob(".*.tmp"):
            tmp.unlink()
        progress = self.dir / PROGRESS_FILE
        if progress.exists():
            self._load(progress)
        return self

    def _load(self, progress: Path) -> None:
        try:
            record = json.loads(progress.read_text(encoding="utf-8"))
            old = record["job"]
            done = {int(k): ChunkCounts(**v) for k, v in record["chunks"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            self.restart = f"the progress record {progress} is unreadable ({exc})"
            self._clear()
            return
        changed = [_CHANGES.get(k, k) for k in self.fingerprint if old.get(k) != self.fingerprint[k]]
        if changed:
            self.restart = f"{', '.join(changed)} changed since the interrupted run; its {len(done)} finished " \
                           "chunks are discarded"
            self._clear()
            return
        self.done = {k: c for k, c in done.items() if self.part(k).exists() and self.rejects(k).exists()}
        self.resumed = True

    def close(self) -> None:
        """Release the locks; a folder without a finished chunk holds nothing to resume and goes too."""
        if self._held and not self.done:
            shutil.rmtree(self.dir, ignore_errors=True)
        self._held = False
        for lock in self._locks:
            lock.release()

    def _clear(self) -> None:
        for path in self.dir.iterdir():
            path.unlink()

    def part(self, chunk: int) -> Path:
        return self.dir / f"part-{chunk:06d}.jsonl"

    def rejects(self, chunk: int) -> Path:
        return self.dir / f"rejects-{chunk:06d}.jsonl"

    def is_done(self, chunk: int, digest: str) -> ChunkCounts | None:
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
        """Drop the parts once the final files are written (``progress.json`` first: see the module doc)."""
        (self.dir / PROGRESS_FILE).unlink(missing_ok=True)
        self.done = {}
        self.close()


def input_fingerprint(path: str) -> str:
    """The input file's real path (``-`` and pipes: ``stream``); its content is checked chunk by chunk."""
    return str(Path(path).resolve()) if path != "-" and Path(path).is_file() else "stream"
