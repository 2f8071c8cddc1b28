"""Streaming readers and writers for batch tagging: JSONL, CSV and Parquet, chosen by extension.

Readers yield one :class:`~mlpkg.batch.validate.Record` per input record and never hold more
than a read buffer (Parquet: one record batch), so a job's memory does not depend on the input
size. ``-`` reads JSONL from standard input. Blank JSONL lines are not records.

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
one type in every format. Rejects are always JSONL.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError
from .validate import BadRow, Fields, Record

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
           ".pq": "parquet"}
_CSV_FIELD_LIMIT = 2**31 - 1  # texts over max_chars must reach validation to be rejected, not crash the reader
PARQUET_ROW_GROUP = 65_536


def file_format(path: str | Path, what: str = "input") -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the extension; ``-`` is JSONL on standard input."""
    if str(path) == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"{what} {str(path)!r}: unknown extension {suffix!r}; expected one of "
                          f"{', '.join(sorted(FORMATS))} (or - for JSONL on standard input)")
    return FORMATS[suffix]


def read_records(path: str | Path, fields: Fields, batch_rows: int = 4096) -> Iterator[Record]:
    """Every record of the input in order, with its 1-based row number."""
    fmt = file_format(path)
    if fmt == "jsonl":
        yield from _read_jsonl(path)
    elif fmt == "csv":
        yield from _read_csv(Path(path))
    else:
        yield from _read_parquet(Path(path), fields, batch_rows)


def _read_jsonl(path: str | Path) -> Iterator[Record]:
    with (_stdin() if str(path) == "-" else open(path, "rb")) as fh:
        row = 0
        for number, line in enumerate(fh, start=1):
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():
                continue
            row += 1
            yield Record(row, line, number)


@contextmanager
def _stdin():
    yield sys.stdin.buffer  # never closed: it is not ours


def _read_csv(path: Path) -> Iterator[Record]:
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    # surrogateescape keeps undecodable bytes as lone surrogates, so one bad row is rejected as
    # not_utf8 by validation instead of the whole file failing to decode.
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        row = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                yield Record(row, BadRow("malformed_row", f"line {reader.line_num}: {exc}", None))
                continue
            row += 1
            if len(values) != len(header):
                detail = f"line {reader.line_num}: {len(values)} fields, the header has {len(header)}"
                yield Record(row, BadRow("malformed_row", detail, values))
            else:
                yield Record(row, dict(zip(header, values)))


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


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
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_lines(path: Path, lines: Iterable[str]) -> None:
    with atomic_file(path) as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")


def concat_jsonl(parts: Iterable[Path], target: Path) -> int:
    """Concatenate JSONL part files into ``target`` (atomically); return the number of lines."""
    n = 0
    with atomic_file(target, "wb") as out:
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
