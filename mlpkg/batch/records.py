"""THE record reader of the package (``mlpkg tag`` and ``mlpkg summarize``): JSONL, CSV and Parquet by extension.

Readers yield one :class:`~mlpkg.batch.validate.Record` per input record and never hold more
than a read buffer (Parquet: one record batch), so a job's memory does not depend on the input
size. ``-`` reads JSONL from standard input, a pipe (``<(zcat f.gz)``, a named pipe) JSONL unless
its name has a known extension, and ``NAME.jsonl.gz`` / ``NAME.csv.gz`` are gunzipped on the fly.
Blank lines are not records. CSV is read by :mod:`mlpkg.batch.csv_input`. An input that cannot be
read to its end (truncated, damaged) raises :class:`~mlpkg.errors.InputReadError`.

Records that cannot be tagged are validated into rejects by :mod:`mlpkg.batch.validate`; writers
are in :mod:`mlpkg.batch.writers`.
"""

from __future__ import annotations

import gzip
import os
import stat
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import BinaryIO

from ..errors import RESUMES, ConfigError, InputReadError
from .csv_input import read_csv
from .validate import Fields, Record

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
           ".pq": "parquet"}
GZIP = ".gz"  # input only, for JSONL and CSV: NAME.jsonl.gz, NAME.csv.gz


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
