"""CSV input read record by record so that every physical line lands in exactly one record.

A quoted field may span lines, so a quote that is never closed makes a plain CSV reader take the
rest of the file as one field: the rows after it vanish into it. Here a record that spans several
lines and then turns out malformed (the file ends inside the quote, a character follows a closing
quote, the field count is wrong) is taken to be an unclosed quote: only its first line is rejected
(``unclosed_quote``) and reading starts again at its second line, so the rows after it are read as
rows. A quote closed by a later line that happens to end a well-formed record cannot be told from a
real multi-line field; that record is read as one (a limit the README states).

The separator is read off the header: ``,`` unless the header splits into the id and text columns
(or the columns a caller requires) only with ``;``, tab or ``|``. Blank lines are not records. Each
record keeps its raw text (its physical lines, undecodable bytes as ``\\xNN``) for the rejects file
and for resume digests.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

from ..errors import DataError
from .validate import BadRow, Fields, Record

DELIMITERS = (",", ";", "\t", "|")
_FIELD_LIMIT = 2**31 - 1  # texts over max_chars must reach validation to be rejected, not crash the reader


class _Lines:
    """Decoded physical lines of a binary stream, with push-back and a count of the lines taken."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self._back: deque[str] = deque()
        self.taken: list[str] = []  # lines of the record being read
        self.count = 0  # lines consumed so far
        self.hit_end = False  # the record being read asked for a line past the end of the stream

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if self._back:
            line = self._back.popleft()
        else:
            data = self._fh.readline()
            if not data:
                self.hit_end = True
                raise StopIteration
            if self.count == 0:
                data = data.removeprefix(b"\xef\xbb\xbf")
            # surrogateescape keeps undecodable bytes as lone surrogates, so one bad row is rejected as
            # not_utf8 by validation instead of the whole file failing to decode.
            line = data.decode("utf-8", "surrogateescape")
        self.count += 1
        self.taken.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        self._back.extendleft(reversed(lines))
        self.count -= len(lines)


def raw_text(lines: list[str]) -> str:
    """The physical lines of a record as one string, without its final line break."""
    text = "".join(lines).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.removesuffix("\n").removesuffix("\r")


def _header(line: str, required: tuple[str, ...], name: str, hint: str) -> tuple[list[str], str]:
    parsed = {d: next(csv.reader([line], delimiter=d)) for d in DELIMITERS}
    for delimiter, header in parsed.items():
        if all(column in header for column in required):
            return header, delimiter
    raise DataError(f"{name}: the CSV header has no {' and '.join(map(repr, required))} columns with any of the "
                    f"separators {' '.join(repr(d) for d in DELIMITERS)}; it reads {line.strip()[:200]!r} "
                    f"({hint})")


def read_csv(fh: BinaryIO, fields: Fields, name: str, required: tuple[str, ...] | None = None,
             hint: str = "set --id-field and --text-field to the header's names") -> Iterator[Record]:
    """Every record of a CSV stream in order; ``Record.line`` is its first physical line. The separator is
    the first of ``DELIMITERS`` whose header holds the ``required`` columns (default: ``fields``' id and text)."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    lines = _Lines(fh)
    first = next(lines, None)
    if first is None:
        return
    header, delimiter = _header(first, required or (fields.id, fields.text), name, hint)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    row = 0
    while True:
        start, lines.taken, lines.hit_end = lines.count + 1, [], False
        try:
            values = next(reader)
            if not values:
                continue  # a blank line
            error = None if len(values) == len(header) else f"{len(values)} fields, the header has {len(header)}"
        except StopIteration:
            return
        except csv.Error as exc:
            error = str(exc)
        taken = lines.taken
        row += 1
        if error is None:
            yield Record(row, dict(zip(header, values)), start, raw_text(taken))
        elif len(taken) == 1 and not lines.hit_end:
            yield Record(row, BadRow("malformed_row", f"line {start}: {error}"), start, raw_text(taken))
        else:  # the record went on past its first line: a quote opened there was never closed
            lines.push_back(taken[1:])
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            detail = (f"line {start}: a quoted field opened on this line is not closed ({error}, line "
                      f"{start + len(taken) - 1}); the lines after it are read as rows of their own")
            yield Record(row, BadRow("unclosed_quote", detail), start, raw_text(taken[:1]))
