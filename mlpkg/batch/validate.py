"""Turn raw input records into articles to tag, or into rejects that say why not.

Every record the readers yield becomes exactly one :class:`Article` or one reject (a JSON-able
dict with the row number, the id when known, a stable reason code and a short detail), so a job
can prove ``read == tagged + rejected``. The reason codes are part of the rejects file's format:

==================  ================================================================
``malformed_json``  a JSONL line that is not JSON
``malformed_row``   a CSV row with more or fewer fields than the header, or broken quoting
``unclosed_quote``  a CSV line whose quoted field is never closed (the lines after it are read on their own)
``not_utf8``        bytes that do not decode as UTF-8 (or a lone surrogate escape)
``wrong_type``      a record that is not an object, or an id/title/text of the wrong type
``missing_id``      no id, null, or an empty string
``missing_text``    no text field, or null
``empty_text``      a text of only white space
``text_too_long``   a text longer than ``max_chars`` characters
``duplicate_id``    an id already tagged at an earlier row (the first one wins)
``model_error``     the model raised on this one article (see :mod:`mlpkg.batch.tagger`)
==================  ================================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, NamedTuple

import numpy as np

REASONS = ("malformed_json", "malformed_row", "unclosed_quote", "not_utf8", "wrong_type", "missing_id", "missing_text",
           "empty_text", "text_too_long", "duplicate_id", "model_error")


class Article(NamedTuple):
    """One article to tag; ``row`` is its 1-based position among the input's records."""

    row: int
    id: str
    title: str | None
    text: str


@dataclass(frozen=True)
class BadRow:
    """A record a reader could not even split into fields (e.g. a CSV row of the wrong width)."""

    reason: str
    detail: str


class Record(NamedTuple):
    """What readers yield: a JSONL line as bytes, a decoded CSV/Parquet row, or a :class:`BadRow`."""

    row: int
    value: bytes | dict | BadRow
    line: int | None = None  # the (first) physical line of a JSONL or CSV record
    raw: str | None = None  # a CSV record's physical lines: what its reject shows as "input"


@dataclass(frozen=True)
class Fields:
    id: str = "id"
    text: str = "text"
    title: str | None = "title"


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str):
        self.reason, self.detail = reason, detail


def dumps_line(obj: dict) -> str:
    """JSON for one output or rejects line; lone surrogates from bad input are escaped, not crashed on."""
    text = json.dumps(obj, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, ensure_ascii=True, default=str)
    return text


def reject(record: Record, reason: str, detail: str, id_: str | None = None) -> dict:
    out: dict[str, Any] = {"row": record.row}
    if record.line is not None:
        out["line"] = record.line
    out.update({"id": id_, "reason": reason, "detail": detail})
    raw = record.raw if record.raw is not None else record.value
    out["input"] = raw.decode("utf-8", "backslashreplace").rstrip("\r\n") if isinstance(raw, bytes) else raw
    return out


def _as_text(value: Any, name: str, field: str) -> str:
    """A string field's value: bytes are decoded, anything else but str is the wrong type."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Rejected("not_utf8", f"{name} field {field!r}: {exc.reason} at byte {exc.start}") from None
    if not isinstance(value, str):
        raise _Rejected("wrong_type", f"{name} field {field!r} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        detail = f"{name} field {field!r}: undecodable byte or lone surrogate at {exc.start}"
        raise _Rejected("not_utf8", detail) from None
    return value


def _parse(record: Record) -> dict:
    value = record.value
    if isinstance(value, BadRow):
        raise _Rejected(value.reason, value.detail)
    if isinstance(value, bytes):
        try:
            line = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Rejected("not_utf8", f"{exc.reason} at byte {exc.start}") from None
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise _Rejected("malformed_json", str(exc)[:200]) from None
    if not isinstance(value, dict):
        raise _Rejected("wrong_type", f"expected a JSON object, got {type(value).__name__}")
    return value


def _id_of(rec: dict, field: str) -> str:
    value = rec.get(field)
    if value is None or value == "" or value == b"":
        raise _Rejected("missing_id", f"no {field!r} field" if field not in rec else f"{field!r} is {value!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _as_text(value, "id", field)


def validate(record: Record, fields: Fields, max_chars: int) -> Article | dict:
    """The record as an :class:`Article`, or a reject dict (see the module docstring for reasons)."""
    id_ = None
    try:
        rec = _parse(record)
        id_ = _id_of(rec, fields.id)
        text = rec.get(fields.text)
        if text is None:
            raise _Rejected("missing_text", f"no {fields.text!r} field" if fields.text not in rec else
                            f"{fields.text!r} is null")
        text = _as_text(text, "text", fields.text)
        if len(text) > max_chars:
            raise _Rejected("text_too_long", f"{len(text)} characters, more than max_chars={max_chars}")
        if not text.strip():
            raise _Rejected("empty_text", f"{fields.text!r} has no visible characters")
        title = rec.get(fields.title) if fields.title else None
        if title is not None:
            title = _as_text(title, "title", fields.title)
    except _Rejected as exc:
        return reject(record, exc.reason, exc.detail, id_)
    return Article(record.row, id_, title, text)


def _digest(id_: str) -> int:
    return int.from_bytes(blake2b(id_.encode("utf-8"), digest_size=8).digest(), "little")


class SeenIds:
    """Ids already accepted, kept as 64-bit digests in a few sorted numpy runs: 8 bytes per id.

    A plain ``set`` of ids costs ~100 bytes each, which is what would make a job's memory grow
    with its input. Runs are merged log-structured (a run is folded into the one before it once
    that is no more than twice its size), so checking n ids costs O(n log n) in all. Two different
    ids share a digest with probability about n²/2⁶⁵ (3e-6 at ten million ids); the second would
    then be rejected as a duplicate.
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self._runs)

    def add(self, ids: list[str]) -> np.ndarray:
        """Record ``ids`` in order; return a mask of those seen before (earlier, or earlier in ``ids``)."""
        keys = np.fromiter((_digest(i) for i in ids), dtype=np.uint64, count=len(ids))
        seen = np.ones(len(keys), dtype=bool)
        seen[np.unique(keys, return_index=True)[1]] = False
        for run in self._runs:
            pos = np.minimum(np.searchsorted(run, keys), len(run) - 1)
            seen |= run[pos] == keys
        new = np.unique(keys[~seen])
        if len(new):
            self._runs.append(new)
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            last = self._runs.pop()
            self._runs[-1] = np.union1d(self._runs[-1], last)
        return seen


def validate_chunk(records: list[Record], fields: Fields, max_chars: int,
                   seen: SeenIds) -> tuple[list[Article], list[dict]]:
    """Articles and rejects of one chunk, duplicates of ids accepted earlier in the job included."""
    articles: list[Article] = []
    rejects: list[dict] = []
    by_row = {}
    for record in records:
        out = validate(record, fields, max_chars)
        if isinstance(out, Article):
            articles.append(out)
            by_row[out.row] = record
        else:
            rejects.append(out)
    duplicate = seen.add([a.id for a in articles])
    if duplicate.any():
        for a in (a for a, dup in zip(articles, duplicate) if dup):
            rejects.append(reject(by_row[a.row], "duplicate_id", "this id was tagged at an earlier row", a.id))
        articles = [a for a, dup in zip(articles, duplicate) if not dup]
        rejects.sort(key=lambda r: r["row"])
    return articles, rejects


def columns_of(records: list[Record], sample: int = 20) -> dict[str, int]:
    """Field names of the first parseable records, each with its longest string value's length."""
    columns: dict[str, int] = {}
    for record in records[:sample]:
        try:
            rec = _parse(record)
        except _Rejected:
            continue
        for key, value in rec.items():
            columns[key] = max(columns.get(key, 0), len(value) if isinstance(value, str) else 0)
    return columns

