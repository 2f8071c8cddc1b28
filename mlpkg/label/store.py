"""The labels file: an append-only JSONL log of decisions that several annotators may share.

One line per event, written by one ``write`` on a file opened ``O_APPEND`` under an exclusive
``flock`` and fsynced before the call returns, so a crash or a killed server loses no decision it
acknowledged and two writers never interleave. Events (every one has ``action``, ``id``,
``annotator`` and ``time``):

- ``label``: ``tags`` (accepted), ``rejected`` (tags judged absent), ``confidence`` (``high``, or
  ``low`` when marked unsure: then ``reason`` is required), ``reason``, ``model``/``model_hash`` (what
  scored the article), ``queue_tag``, and the article itself (``title``, ``text``), so the file alone
  can train a model. A tag in neither list is undecided: nobody read the article for it, so training
  masks it for that article (neither a positive nor a negative). A line without ``rejected`` (written
  before undecided tags existed) rejects every tag it does not accept;
- ``skip``: the article leaves the queue without a decision;
- ``undo``: cancels the same annotator's latest live ``label``/``skip`` of that id.

The live decision of an annotator on an id is their latest ``label`` of it not undone; the live
decisions of several annotators on one id are merged, and one accepting a tag another rejected is
a conflict a person must settle.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import (
    DiskFullError,
    DuplicateLabelError,
    LabelsFileError,
    MissingReasonError,
    OutputNotWritableError,
    UnknownTagError,
)

ACTIONS = ("label", "skip", "undo")
CONFIDENCE = ("high", "low")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append_event(path: str | Path, event: dict, check: Callable[[int], None] | None = None) -> dict:
    """Append one event as one line, durably; returns the event (with ``time`` filled in).

    ``check(fd)`` runs under the exclusive lock before the line is written (``fd`` the open file, for
    :meth:`LabelLog.refresh`); it raises to refuse the event, so what it read cannot change before the write.
    """
    event = {"time": now(), **event}
    if event.get("action") not in ACTIONS:
        raise LabelsFileError(f"{path}: action must be one of {ACTIONS}, got {event.get('action')!r}")
    line = json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"
    path = Path(path)
    created = not path.exists()
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputNotWritableError(f"labels file {path} cannot be opened for writing: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if check is not None:
            check(fd)
        line = _mend_tail(fd, path) + line
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError as exc:
        error = DiskFullError if exc.errno == errno.ENOSPC else OutputNotWritableError
        raise error(f"labels file {path}: the decision was not saved ({exc.strerror}); free space or fix the "
                    "permissions, then decide it again") from None
    finally:
        os.close(fd)  # closing releases the lock
    if created:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new file's name survives a crash too
        finally:
            os.close(dir_fd)
    return event


def check_writable(path: str | Path) -> None:
    """Fail before any labelling when the labels file (or its folder) cannot be written; creates the folder."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritableError(f"labels file {path}: its folder cannot be created ({exc.strerror})") from None
    if path.is_dir() or not os.access(path if path.exists() else path.parent, os.W_OK):
        raise OutputNotWritableError(f"labels file {path} cannot be written (permissions or a read-only file system)")


def _mend_tail(fd: int, path: Path) -> bytes:
    """What must precede a new line when the file does not end with a newline (called under the lock).

    A tail that is a whole JSON object (a hand edit without the final newline) gets its newline. Any
    other tail is a write cut short (power loss before fsync returned, so never acknowledged): it is
    moved to ``NAME.torn`` and cut off, so the file stays one decision per line.
    """
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return b""
    start = size
    while start > 0:
        step = min(start, 1 << 16)
        block = os.pread(fd, step, start - step)
        cut = block.rfind(b"\n")
        if cut >= 0:
            start = start - step + cut + 1
            break
        start -= step
    tail = os.pread(fd, size - start, start)
    try:
        json.loads(tail)
        return b"\n"
    except ValueError:
        with open(path.with_name(path.name + ".torn"), "ab") as fh:
            fh.write(tail + b"\n")
        os.ftruncate(fd, start)
        return b""


@dataclass
class Event:
    line: int
    data: dict

    @property
    def id(self) -> str:
        return self.data["id"]


@dataclass
class LabelLog:
    """The events of one labels file, read incrementally (:meth:`refresh` reads what others appended)."""

    path: Path
    events: list[Event] = field(default_factory=list)
    _offset: int = 0
    _lines: int = 0

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.refresh()

    def refresh(self, fd: int | None = None) -> bool:
        """Read lines appended since the last call; True when there were any. ``fd``: the file as
        :func:`append_event` holds it open and locked (read without taking the lock again)."""
        if fd is not None:
            chunk = os.pread(fd, max(os.fstat(fd).st_size - self._offset, 0), self._offset)
        elif not self.path.exists():
            return False
        else:
            with open(self.path, "rb") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
                fh.seek(self._offset)
                chunk = fh.read()
        end = chunk.rfind(b"\n") + 1  # a line without its newline is still being written (or torn): later
        before = len(self.events)
        for raw in chunk[:end].split(b"\n")[:-1]:
            self._lines += 1
            if raw.strip():
                self.events.append(Event(self._lines, parse_line(raw, self.path, self._lines)))
        self._offset += end
        return len(self.events) > before

    def live(self) -> dict[str, Event]:
        """The live ``label`` event of every decided id."""
        return live_decisions(self.events)[0]

    def closed_ids(self) -> set[str]:
        """Ids that left the queue: a live label or a live skip."""
        labels, skips = live_decisions(self.events)
        return set(labels) | skips


def parse_line(raw: bytes, path: Path, line: int) -> dict:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise LabelsFileError(f"{path}: line {line} is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("action") not in ACTIONS or not isinstance(data.get("id"), str):
        raise LabelsFileError(f"{path}: line {line}: expected an object with \"action\" (one of {list(ACTIONS)}) and "
                              f"a string \"id\", got {raw[:120]!r}")
    return data


def live_events(events: Iterable[Event]) -> list[Event]:
    """The ``label`` and ``skip`` events no ``undo`` cancelled, in file order."""
    undone: set[int] = set()
    done: dict[tuple[str, str], list[Event]] = {}  # (annotator, id) -> its label/skip events, in order
    for ev in events:
        key = (ev.data.get("annotator", ""), ev.id)
        if ev.data["action"] == "undo":
            stack = [e for e in done.get(key, []) if e.line not in undone]
            if stack:
                undone.add(stack[-1].line)
        else:
            done.setdefault(key, []).append(ev)
    return sorted((e for evs in done.values() for e in evs if e.line not in undone), key=lambda e: e.line)


def live_decisions(events: Iterable[Event]) -> tuple[dict[str, Event], set[str]]:
    """(the latest live label per id, ids with a live skip)."""
    labels: dict[str, Event] = {}
    skips: set[str] = set()
    for ev in live_events(events):
        if ev.data["action"] == "label":
            labels[ev.id] = ev
        else:
            skips.add(ev.id)
    return labels, skips


def check_label(data: dict, path: Path, line: int, tags: list[str]) -> None:
    """A live label's schema: known tags, a confidence, a reason when unsure."""
    for key in ("tags", "rejected"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise LabelsFileError(f"{path}: line {line} (id {data['id']!r}): {key!r} must be a list of tags")
        bad = [t for t in value if t not in tags]
        if bad:
            raise UnknownTagError(f"{path}: line {line} (id {data['id']!r}): unknown tag {bad[0]!r} in {key!r}; "
                                  f"the tags are {tags} (data.labels)")
    both = sorted(set(data.get("tags", [])) & set(data.get("rejected", [])))
    if both:
        raise LabelsFileError(f"{path}: line {line} (id {data['id']!r}): {both[0]!r} is both accepted and rejected")
    if data.get("confidence", "high") not in CONFIDENCE:
        raise LabelsFileError(f"{path}: line {line} (id {data['id']!r}): confidence must be one of {CONFIDENCE}, "
                              f"got {data.get('confidence')!r}")
    if data.get("confidence") == "low" and not str(data.get("reason") or "").strip():
        raise MissingReasonError(f"{path}: line {line} (id {data['id']!r}): marked unsure (confidence low) without a "
                                 "reason; a reviewer needs one: decide it again with a reason, or add \"reason\"")
    if not isinstance(data.get("text"), str) or not data["text"].strip():
        raise LabelsFileError(f"{path}: line {line} (id {data['id']!r}): no article \"text\" to train on")


def decision(data: dict, tags: list[str]) -> tuple[list[str], list[str]]:
    """(accepted, rejected) tags of a ``label`` event, in ``tags`` order; the tags in neither are undecided.
    A line without ``rejected`` (an older file) rejects every tag it does not accept.

    >>> decision({"tags": ["umkm"], "rejected": []}, ["koperasi", "umkm"])
    (['umkm'], [])
    >>> decision({"tags": ["umkm"]}, ["koperasi", "umkm"])
    (['umkm'], ['koperasi'])
    """
    accepted = [t for t in tags if t in data.get("tags", [])]
    if "rejected" not in data:
        return accepted, [t for t in tags if t not in accepted]
    return accepted, [t for t in tags if t in data["rejected"]]


def live_labels(events: Iterable[Event]) -> dict[str, dict[str, Event]]:
    """id -> annotator -> that annotator's live ``label`` of the id."""
    latest: dict[str, dict[str, Event]] = {}
    for ev in live_events(events):
        if ev.data["action"] == "label":
            latest.setdefault(ev.id, {})[ev.data.get("annotator", "")] = ev
    return latest


def describe_labels_files(paths: Iterable[tuple[str, Path]]) -> list[dict]:
    """Provenance of each labels file ``(name as configured, path)``: its sha256, its live decisions
    (one per annotator and article) and the articles they decide."""
    from ..core.directory import sha256_file

    out = []
    for name, path in paths:
        latest = live_labels(LabelLog(path).events)
        out.append({"file": name, "sha256": sha256_file(Path(path)), "decisions": sum(map(len, latest.values())),
                    "articles": len(latest)})
    return out


def labels_files_line(files: list[dict]) -> str:
    """One line naming the labels files of a run, for its log and model card.

    >>> labels_files_line([{"file": "k.jsonl", "sha256": "ab" * 32, "decisions": 3, "articles": 2}])
    'labels files (data.extra_labels): k.jsonl: 3 decisions on 2 articles, sha256 abababababababab'
    """
    return "labels files (data.extra_labels): " + "; ".join(
        f"{f['file']}: {f['decisions']} decisions on {f['articles']} articles, sha256 {f['sha256'][:16]}"
        for f in files)


def labelled_rows(paths: Iterable[str | Path], tags: list[str], known_ids: Iterable[str] = (),
                  known_source: str = "data") -> list[dict]:
    """The live decisions of every labels file as training rows ``{id, title, text, tags, rejected,
    undecided, source, annotator, confidence}``: ``tags`` accepted, ``rejected`` judged absent,
    ``undecided`` the tags nobody decided for that article (training masks them). Several annotators'
    decisions on one id are merged; one low-confidence decision makes the row low.

    Raises :class:`UnknownTagError`, :class:`MissingReasonError` or :class:`DuplicateLabelError` (one
    tag of an id accepted and rejected, in one file or across files, or an id already a row of
    ``known_source``).
    """
    known = set(known_ids)
    rows: dict[str, dict] = {}
    first: dict[str, tuple[Path, Event]] = {}  # id -> the decision its row started from
    for path in map(Path, paths):
        if not path.exists():
            raise LabelsFileError(f"labels file {str(path)!r} (data.extra_labels) does not exist")
        latest = live_labels(LabelLog(path).events)
        for by in latest.values():
            for ev in by.values():
                check_label(ev.data, path, ev.line, tags)
        for id_, by in sorted(latest.items(), key=lambda kv: min(e.line for e in kv[1].values())):
            if id_ in known:
                raise DuplicateLabelError(f"{path}: line {min(e.line for e in by.values())}: id {id_!r} is already a "
                                          f"labelled row of {known_source}; one article must have one decision (drop "
                                          "it from one of them)")
            for ev in sorted(by.values(), key=lambda e: e.line):
                _merge(rows, first, ev, path, tags)
    for row in rows.values():
        row["undecided"] = [t for t in tags if t not in row["tags"] and t not in row["rejected"]]
    return list(rows.values())


def _merge(rows: dict[str, dict], first: dict[str, tuple[Path, Event]], ev: Event, path: Path,
           tags: list[str]) -> None:
    """Add one live decision to the row of its id; a tag accepted by one decision and rejected by another
    is a conflict."""
    accepted, rejected = decision(ev.data, tags)
    row = rows.get(ev.id)
    if row is None:
        rows[ev.id] = {"id": ev.id, "title": ev.data.get("title"), "text": ev.data["text"], "tags": accepted,
                       "rejected": rejected, "source": f"{path}: line {ev.line}",
                       "annotator": ev.data.get("annotator", ""), "confidence": ev.data.get("confidence", "high")}
        first[ev.id] = (path, ev)
        return
    clash = sorted((set(accepted) & set(row["rejected"])) | (set(rejected) & set(row["tags"])))
    if clash:
        first_path, earlier = first[ev.id]
        if first_path == path:
            raise DuplicateLabelError(
                f"{path}: id {ev.id!r} decided twice: line {earlier.line} ({earlier.data.get('annotator')}: "
                f"{earlier.data['tags']}) and line {ev.line} ({ev.data.get('annotator')}: {ev.data['tags']}) disagree "
                f"on {clash}; undo one in its annotator's session, or delete one of the two lines")
        raise DuplicateLabelError(f"{path}: line {ev.line}: id {ev.id!r} has tags {accepted} here and {row['tags']} "
                                  f"in {row['source']} (they disagree on {clash}); keep one decision")
    row["tags"] = [t for t in tags if t in row["tags"] or t in accepted]
    row["rejected"] = [t for t in tags if t in row["rejected"] or t in rejected]
    if ev.data.get("confidence") == "low":
        row["confidence"] = "low"
