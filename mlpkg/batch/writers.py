"""Writers of the batch job's output: JSONL parts concatenated, or rewritten as CSV or Parquet.

Output columns (``FORMATS`` by extension):

- JSONL: one object per line, ``{"id", "title", "tags": [...], "scores": {label: p}, "summary": [...],
  "model", "model_hash"}`` (``summary``, ``summarizer`` and ``summarizer_hash`` only when a
  summariser is given; ``title`` is null for a record without one).
- CSV: ``tags`` joined by ``|``, one flat ``score_<label>`` column per label (spreadsheets and
  ``pandas.read_csv`` need no JSON parsing for the numbers), ``summary`` as its sentences joined by a
  space. Every text cell is quoted by the csv module (so a line break or carriage return in an id
  stays inside its cell), and a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return gets a leading ``'``, as OWASP advises against formula injection: a spreadsheet
  shows it as text instead of running it (``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``).
- Parquet: ``tags`` and ``summary`` as lists of strings, ``scores`` as a struct with one float
  field per label.

Ids are always written as strings (an integer id ``12`` becomes ``"12"``), so one id column has
one type in every format. Rejects are always JSONL. ``--output -`` writes JSONL to standard output.
Files are written atomically (:func:`mlpkg.core.files.atomic_file`).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.files import atomic_file
from .records import file_format

PARQUET_ROW_GROUP = 65_536


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


def write_output(parts: list[Path], target: Path, labels: list[str] | None, with_summary: bool) -> int:
    """Write the rows of ``parts`` (JSONL, in order) as ``target``'s format; return the rows.
    ``labels`` None: no classifier (``mlpkg summarize``), so no tags or scores."""
    fmt = file_format(target, "output")
    if fmt == "jsonl":
        return concat_jsonl(parts, target)
    if fmt == "csv":
        return _write_csv(_part_rows(parts), target, labels, with_summary)
    return _write_parquet(_part_rows(parts), target, labels, with_summary)


def _extra_columns(with_tags: bool, with_summary: bool) -> list[str]:
    return (["model", "model_hash"] if with_tags else []) + (["summarizer", "summarizer_hash"] if with_summary else [])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP)


def spreadsheet_safe(value: str | None) -> str | None:
    """A CSV text cell a spreadsheet shows as text: a ``'`` before a leading formula character.

    >>> spreadsheet_safe("=SUM(A1:A9)"), spreadsheet_safe("-12"), spreadsheet_safe("koperasi")
    ("'=SUM(A1:A9)", "'-12", 'koperasi')
    """
    return "'" + value if value and value.startswith(FORMULA_STARTS) else value


def _write_csv(rows: Iterator[dict], target: Path, labels: list[str] | None, with_summary: bool) -> int:
    extra = _extra_columns(labels is not None, with_summary)
    tags = ["tags", *(f"score_{label}" for label in labels)] if labels is not None else []
    header = ["id", "title", *tags, *(["summary"] if with_summary else []), *extra]
    n = 0
    with atomic_file(target) as fh:
        # QUOTE_NONNUMERIC: every text cell quoted (a "\r" in an id included), the scores left as numbers
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(header)
        for row in rows:
            text = [row["id"], row["title"]]
            if labels is not None:
                text.append("|".join(row["tags"]))
            scores = [row["scores"][label] for label in labels] if labels is not None else []
            summary = [" ".join(row["summary"])] if with_summary else []
            cells = [*(spreadsheet_safe(v) for v in text), *scores,
                     *(spreadsheet_safe(v) for v in [*summary, *(row[c] for c in extra)])]
            writer.writerow(cells)
            n += 1
    return n


def _write_parquet(rows: Iterator[dict], target: Path, labels: list[str] | None, with_summary: bool) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [pa.field("id", pa.string()), pa.field("title", pa.string())]
    if labels is not None:
        fields += [pa.field("tags", pa.list_(pa.string())),
                   pa.field("scores", pa.struct([pa.field(label, pa.float64()) for label in labels]))]
    if with_summary:
        fields.append(pa.field("summary", pa.list_(pa.string())))
    fields += [pa.field(c, pa.string()) for c in _extra_columns(labels is not None, with_summary)]
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
