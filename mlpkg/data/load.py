"""Load labelled data through HF ``datasets`` (a schema check names file, row and field); read dates."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError

_FORMATS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}


def resolve_data_path(path: str) -> Path:
    """Relative data paths are tried from the working directory, then from the repo root,
    so configs work from any folder of a checkout."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root / p if (repo_root / p).exists() else p


def load_table(path: str, split: str | None = None, split_field: str = "split", *, columns: Sequence[str] = (),
               tag_field: str | None = None, multi_label: bool | None = None):
    """A ``datasets.Dataset`` from a local parquet/jsonl/csv file or (online) a hub dataset name.

    ``split`` keeps only the rows whose ``split_field`` equals it. A CSV file is read as ``mlpkg tag``
    reads its input (:func:`read_csv_columns`: the separator that gives the header the ``columns``, a
    BOM, CRLF line ends, quoted fields over several lines), its ``tag_field`` as ``mlpkg tag`` writes
    tags (:func:`csv_tags`).
    """
    import datasets

    datasets.disable_progress_bars()
    local = resolve_data_path(path)
    suffix = "".join(local.suffixes[-2:]) if local.suffix == ".gz" else local.suffix
    fmt = _FORMATS.get(suffix.replace(".gz", ""))
    if local.exists():
        if fmt is None:
            raise DataError(f"{path}: unsupported file type {suffix!r}; use one of {sorted(_FORMATS)}")
        if fmt == "csv":
            table = read_csv_columns(local, path, tuple(c for c in columns if c))
            if tag_field in table:
                table[tag_field] = csv_tags(table[tag_field], multi_label)
            ds = datasets.Dataset.from_dict(table)
        else:
            try:
                ds = datasets.load_dataset(fmt, data_files=str(local), split="train")
            except Exception as exc:  # pyarrow and datasets raise many kinds; the user needs one line
                raise DataError(f"{path}: cannot be read as {fmt}: {type(exc).__name__}: {str(exc)[:300]}") from None
    elif fmt is not None or not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", path):
        raise DataError(f"data file {path!r} does not exist")
    else:
        if os.environ.get("HF_DATASETS_OFFLINE") == "1" or os.environ.get("HF_HUB_OFFLINE") == "1":
            raise DataError(f"{path!r} is not a local file and the hub is offline (HF_DATASETS_OFFLINE=1); "
                            "download the dataset elsewhere and point data.path at a parquet/jsonl/csv file")
        try:
            ds = datasets.load_dataset(path, split="train")
        except Exception as exc:  # the hub raises many kinds; the user needs one message
            raise DataError(f"could not load hub dataset {path!r}: {exc}") from None
    if split is not None:
        if split_field not in ds.column_names:
            raise DataError(f"{path}: no column {split_field!r} to select split {split!r}; columns: {ds.column_names}")
        present = sorted({str(v) for v in ds.unique(split_field)})
        ds = ds.filter(lambda v: v == split, input_columns=split_field)
        if not len(ds):
            raise DataError(f"{path}: no row has {split_field!r} = {split!r}; values present: {present} "
                            "(or choose another split column)")
    return ds


def read_csv_columns(local: Path, name: str, columns: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """A CSV file's columns as lists of strings, read by ``mlpkg tag``'s reader
    (:func:`mlpkg.batch.csv_input.read_csv`): the separator is ``,`` unless only ``;``, tab or ``|`` gives
    the header the ``columns``; a BOM and CRLF line ends are fine. A malformed row stops with a
    :class:`DataError` naming its line (a labelled file is read whole or not at all)."""
    from ..batch.csv_input import read_csv
    from ..batch.records import open_input
    from ..batch.validate import BadRow, Fields

    header, values = None, []
    hint = "check the separator, or name the columns with --text-field / --label-field"
    with open_input(str(local)) as fh:
        for record in read_csv(fh, Fields(), name, required=columns, hint=hint):
            if isinstance(record.value, BadRow):
                raise DataError(f"{name}: {record.value.detail} [{record.value.reason}]; a labelled file is read "
                                "whole or not at all: fix that row")
            bad = next((k for k, v in record.value.items() if not _utf8(v)), None)
            if bad is not None:
                raise DataError(f"{name}: line {record.line}, field {bad!r}: bytes that are not UTF-8")
            header = header or list(record.value)
            values.append(record.value)
    if header is None:
        raise DataError(f"{name}: no rows (an empty file or a header alone)")
    return {column: [row[column] for row in values] for column in header}


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # the reader keeps undecodable bytes as lone surrogates
        return False
    return True


def csv_tags(cells: list[str], multi_label: bool | None = None) -> list:
    """A CSV tag column as ``mlpkg tag`` writes it: tags joined by ``|``, an empty cell for no tag.
    ``multi_label`` None: tag lists where any cell is empty or holds ``|``, else one class per row.

    >>> csv_tags(["koperasi", "", "umkm|pendidikan"])
    [['koperasi'], [], ['umkm', 'pendidikan']]
    >>> csv_tags(["ekonomi", "olahraga"])
    ['ekonomi', 'olahraga']
    """
    cells = [c.strip() for c in cells]
    if multi_label is None:
        multi_label = any(not c or "|" in c for c in cells)
    if not multi_label:
        return cells
    return [[t.strip() for t in c.split("|") if t.strip()] for c in cells]


def check_schema(ds, source: str, *, text_field: str, label_field: str | None = None,
                 labels: list[str] | None = None, id_field: str | None = None) -> None:
    """Raise :class:`DataError` naming the file, row (1-based, the first data row is row 1) and field of
    the first bad value."""
    columns = ds.column_names
    for field in filter(None, (text_field, label_field, id_field)):
        if field not in columns:
            raise DataError(f"{source}: missing column {field!r}; columns present: {columns}")
    allowed = set(labels) if labels is not None else None
    wanted = [f for f in (text_field, label_field) if f]
    for row, record in enumerate(ds.select_columns(wanted).iter(batch_size=1), start=1):
        text = record[text_field][0]
        if not isinstance(text, str):
            raise DataError(f"{source}: row {row}, field {text_field!r}: expected text, got {type(text).__name__}")
        if not text.strip():
            raise DataError(f"{source}: row {row}, field {text_field!r}: empty text")
        if label_field and allowed is not None:
            value = record[label_field][0]
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise DataError(f"{source}: row {row}, field {label_field!r}: unknown label {bad[0]!r}; "
                                f"allowed: {sorted(allowed)}")


def rows(ds, fields: list[str]) -> dict[str, list[Any]]:
    """Columns as plain Python lists."""
    return {f: ds[f] for f in fields}


# Indonesian month names and abbreviations that English parsers do not know (the shared ones, such as
# april, september, jan, mar, jun, are left as they are).
_ID_MONTHS = {"januari": "jan", "februari": "feb", "pebruari": "feb", "maret": "mar", "mei": "may", "juni": "jun",
              "juli": "jul", "agustus": "aug", "agu": "aug", "agt": "aug", "ags": "aug", "agus": "aug",
              "oktober": "oct", "okt": "oct", "nopember": "nov", "desember": "dec", "des": "dec"}
_MONTH_WORD = re.compile(r"\b(" + "|".join(sorted(_ID_MONTHS, key=len, reverse=True)) + r")\b")
# the date inside a longer string: "Senin, 24 Juni 2024 05:05 WIB", "Kompas.com- 20/06/2025, 17:42 WIB"
_DAY_FIRST = re.compile(r"\b(\d{1,2})[ /.-]+([a-z]{3,9}|\d{1,2})\.?,?[ /.-]+((?:19|20)\d\d)\b")
_MONTH_FIRST = re.compile(r"\b([a-z]{3,9})\.? +(\d{1,2}),? +((?:19|20)\d\d)\b")
_SHORT_YEAR = re.compile(r"^(\d{1,2})-([a-z]{3})-(\d\d)$")  # 19-Sep-19 (spreadsheet exports): 20yy


def parse_dates(values: Sequence) -> Any:
    """Publication dates of mixed formats as a pandas Series of days (NaT where unreadable).

    ISO dates (``2019-12-06``, ``2025-10-09T10:00:00+07:00``: the day as written) are read as ISO
    8601; the rest as Indonesian sites write them, day first (``17/09/2019``, ``Senin 06 Mei 2024
    04:53 WIB``, ``Diperbarui 16 Jun 2025``, ``19-Sep-19``) or month first (``Oktober 21, 2019``).
    pandas alone reads Indonesian month names as nothing, and its ``dayfirst`` turns ISO
    ``2019-12-06`` into 12 June. Years outside 1900-2099 (a typo such as ``0023``) count as unreadable.

    >>> days = parse_dates(["2019-12-06", "17/09/2019", "Senin, 06 Mei 2024 04:53 WIB", "Oktober 21, 2019", "kemarin"])
    >>> [str(d.date()) if d == d else "unreadable" for d in days]
    ['2019-12-06', '2019-09-17', '2024-05-06', '2019-10-21', 'unreadable']
    """
    import pandas as pd

    text = pd.Series(["" if v is None else str(v) for v in values], dtype=object).str.strip()
    # ISO: the day as written (the time and its offset dropped, so 03:00+07:00 stays on its own day)
    iso_day = text.str.extract(r"^((?:19|20)\d\d[-/]\d\d?[-/]\d\d?)(?!\d)")[0]
    iso = pd.to_datetime(iso_day.str.replace("/", "-"), errors="coerce", utc=True, format="mixed", yearfirst=True)
    rest = iso.isna() & (text != "")
    if rest.any():
        local = text[rest].str.lower().str.replace(_MONTH_WORD, lambda m: _ID_MONTHS[m.group(1)], regex=True)
        day_first = local.str.extract(_DAY_FIRST)
        month_first = local.str.extract(_MONTH_FIRST)
        short = local.str.extract(_SHORT_YEAR)
        found = (day_first[0] + " " + day_first[1] + " " + day_first[2]).fillna(
            month_first[1] + " " + month_first[0] + " " + month_first[2]).fillna(
            short[0] + " " + short[1] + " 20" + short[2])
        iso[rest] = pd.to_datetime(found, errors="coerce", utc=True, format="mixed", dayfirst=True)
    days = iso.dt.tz_convert(None).dt.normalize()
    return days.where((days.dt.year >= 1900) & (days.dt.year < 2100))
