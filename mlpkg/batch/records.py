"""Streaming readers and writers for batch tagging: JSONL, CSV and Parquet, chosen by extension.

Readers yield one :class:`~mlpkg.batch.validate.Record` per input record and never hold more
than a read buffer (Parquet: one record batch), so a job's memory does not depend on the input
size. ``-`` reads JSONL from standard input, a pipe (``<(zcat f.gz)``, a named pipe) JSONL unless
its name has a known extension, and ``NAME.jsonl.gz`` / ``NAME.csv.gz`` are gunzipped on the fly.
Blank lines are not records. CSV is read by :mod:`mlpkg.batch.csv_input`. An input that cannot be
read to its end (truncated, damaged) raises :class:`~mlpkg.batch.errors.InputReadError`.

Output columns (``FORMATS`` by extension):

- JSONL: one object per line, ``{"id", "tags": [...], "scores": {label: p}, "summary": [...],
  "model", "model_hash"}`` (``summary``, ``summarizer`` and ``summarizer_hash`` only when a
  summariser is given).
- CSV: ``tags`` joined by ``|``, one flat ``score_<label>`` column per label (spreadsheets and
  ``pandas.read_csv`` need no JSON parsing for the numbers), ``summary`` as a JSON array of
  sentences (sentences contain every separator one could pick).
- Parquet: ``tags`` and ``summary`` as lists of strings, ``scores`` as a struct with one float
  field per label.

Ids are always written as strings (an integer id ``12`` becomes ``"12"``), so one id column has
one type in every format. Rejects are always JSONL. ``--output -`` writes JSONL to standard output.
Files are written to a temp file and renamed, with the permissions the umask gives new files.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from glob import escape as glob_escape
from pathlib import Path
from typing import BinaryIO

from ..errors import ConfigError
from .csv_input import read_csv
from .errors import RESUMES, InputReadError
from .validate import Fields, Record

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
           ".pq": "parquet"}
GZIP = ".gz"  # input only, for JSONL and CSV: NAME.jsonl.gz, NAME.csv.gz
PARQUET_ROW_GROUP = 65_536


def is_stream(path: str | Path) -> bool:
    """A pipe or character device (``<(zcat f.gz)`` gives ``/dev/fd/63``, ``mkfifo`` a named pipe)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def file_format(path: str | Path, what: str = "input") -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the extension (inputs may add ``.gz`` to JSONL and CSV);
    ``-`` and a pipe without a known extension are JSONL."""
    if str(path) == "-":
        return "jsonl"
    name = Path(path).name.lower()
    gz = what == "input" and name.endswith(GZIP)
    suffix = Path(name.removesuffix(GZIP)).suffix
    fmt = FORMATS.get(suffix)
    if fmt is not None and not (gz and fmt == "parquet"):
        return fmt
    if what == "input" and not gz and is_stream(path):
        return "jsonl"
    known = sorted(FORMATS) + ([f"{s}{GZIP}" for s in sorted(FORMATS) if FORMATS[s] != "parquet"] if what == "input"
                               else [])
    raise ConfigError(f"{what} {str(path)!r}: unknown extension {suffix + (GZIP if gz else '')!r}; expected one of "
                      f"{', '.join(known)} (or - for JSONL on standard {'input' if what == 'input' else 'output'})")


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """The input as a binary stream: standard input for ``-`` (never closed: it is not ours), gunzipped for .gz."""
    if path == "-":
        yield sys.stdin.buffer
        return
    with (gzip.open if path.lower().endswith(GZIP) else open)(path, "rb") as fh:
        yield fh


def read_records(path: str, fields: Fields, batch_rows: int = 4096) -> Iterator[Record]:
    """Every record of the input in order, with its 1-based row number."""
    fmt, row = file_format(path), 0
    try:
        with nullcontext() if fmt == "parquet" else open_input(path) as fh:
            records = (_read_parquet(Path(path), fields, batch_rows) if fmt == "parquet" else
                       _read_jsonl(fh) if fmt == "jsonl" else read_csv(fh, fields, path))
            for record in records:
                row = record.row
                yield record
    except _read_errors() as exc:
        raise _input_error(path, row, exc) from None


def _read_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa  # only evaluated when an exception is being matched

    return OSError, EOFError, zlib.error, pa.ArrowException


def _input_error(path: str, records: int, exc: BaseException) -> InputReadError:
    return InputReadError(f"--input {path}: cannot be read after record {records} ({type(exc).__name__}: "
                          f"{str(exc)[:200]}); if it is truncated or damaged (an interrupted copy or download?), "
                          f"restore it and {RESUMES}")


def _read_jsonl(fh: BinaryIO) -> Iterator[Record]:
    row = 0
    for number, line in enumerate(fh, start=1):
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        row += 1
        yield Record(row, line, number)


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except _read_errors() as exc:
        raise _input_error(str(path), 0, exc) from None


def _read_parquet(path: Path, fields: Fields, batch_rows: int) -> Iterator[Record]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    present = set(pf.schema_arrow.names)
    columns = [c for c in (fields.id, fields.title, fields.text) if c and c in present]
    row = 0
    for batch in pf.iter_batches(batch_size=batch_rows, columns=list(dict.fromkeys(columns))):
        for rec in batch.to_pylist():
            row += 1
            yield Record(row, rec)


# --- writing ---------------------------------------------------------------------------------

@contextmanager
def atomic_file(path: Path, mode: str = "w"):
    """A temp file next to ``path`` that replaces it (``os.replace``) only when the block succeeds.

    The data are fsynced first, so after a crash ``path`` holds either the old or the complete
    new content, never a prefix.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600 files; the output is the user's, like any file they write
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def stale_temp_files(path: Path) -> list[Path]:
    """Temp files :func:`atomic_file` left for ``path`` when its process was killed mid-write."""
    return sorted(path.parent.glob(f".{glob_escape(path.name)}.{'?' * 8}.tmp"))  # mkstemp's 8 random characters


def write_lines(path: Path, lines: Iterable[str]) -> None:
    with atomic_file(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


@contextmanager
def _binary_output(target: Path):
    """``target`` written atomically, or standard output for ``-`` (flushed, never closed)."""
    if str(target) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        with atomic_file(target, "wb") as out:
            yield out


def concat_jsonl(parts: Iterable[Path], target: Path) -> int:
    """Concatenate JSONL part files into ``target`` (atomically, or to standard output); return the lines."""
    n = 0
    with _binary_output(target) as out:
        for part in parts:
            with open(part, "rb") as fh:
                for line in fh:
                    out.write(line)
                    n += 1
    return n


def _part_rows(parts: Iterable[Path]) -> Iterator[dict]:
    for part in parts:
        with open(part, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


def write_output(parts: list[Path], target: Path, labels: list[str], with_summary: bool) -> int:
    """Write the tagged rows of ``parts`` (JSONL, in order) as ``target``'s format; return the rows."""
    fmt = file_format(target, "output")
    if fmt == "jsonl":
        return concat_jsonl(parts, target)
    if fmt == "csv":
        return _write_csv(_part_rows(parts), target, labels, with_summary)
    return _write_parquet(_part_rows(parts), target, labels, with_summary)


def _extra_columns(with_summary: bool) -> list[str]:
    return ["model", "model_hash"] + (["summarizer", "summarizer_hash"] if with_summary else [])


def _write_csv(rows: Iterator[dict], target: Path, labels: list[str], with_summary: bool) -> int:
    extra = _extra_columns(with_summary)
    header = ["id", "tags", *(f"score_{label}" for label in labels), *(["summary"] if with_summary else []), *extra]
    n = 0
    with atomic_file(target) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            summary = [json.dumps(row["summary"], ensure_ascii=False)] if with_summary else []
            writer.writerow([row["id"], "|".join(row["tags"]), *(row["scores"][label] for label in labels), *summary,
                             *(row[c] for c in extra)])
            n += 1
    return n


def _write_parquet(rows: Iterator[dict], target: Path, labels: list[str], with_summary: bool) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [pa.field("id", pa.string()), pa.field("tags", pa.list_(pa.string())),
              pa.field("scores", pa.struct([pa.field(label, pa.float64()) for label in labels]))]
    if with_summary:
        fields.append(pa.field("summary", pa.list_(pa.string())))
    fields += [pa.field(c, pa.string()) for c in _extra_columns(with_summary)]
    schema = pa.schema(fields)
    n = 0
    with atomic_file(target, "wb") as fh:
        writer = pq.ParquetWriter(fh, schema)
        buffer: list[dict] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= PARQUET_ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
                n, buffer = n + len(buffer), []
        if buffer or not n:
            writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
            n += len(buffer)
        writer.close()
    return n
