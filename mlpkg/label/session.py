"""A labelling session: a pool, its queue, a model, and the labels file every decision goes to.

The web page and the terminal mode are two faces of one :class:`LabelSession`: both ask it for an
annotator's current article and hand it decisions, skips and undos. The labels file is the only
state that matters: a session started again on the same file resumes where the queue stopped, and
sessions of several annotators (in one server or in several processes) share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from ..batch.validate import Fields
from ..errors import ArticleNotOpenError, ConfigError, DataError, LabelsFileError, MissingReasonError, UnknownTagError
from ..text.clean import clean
from .queue import Candidate, CandidateQueue, highlight, read_pool
from .store import (
    CONFIDENCE,
    LabelLog,
    append_event,
    check_writable,
    live_decisions,
    live_events,
    live_labels,
)

DEFAULT_TAGS = ["koperasi", "umkm", "pendidikan"]
BODY_MAX_CHARS = 6_000
HOLD_SECONDS = 30 * 60  # an article on another annotator's screen is kept from others this long after they last asked


def lexicon_of(model, config: str | Path | None) -> tuple[list[str], dict[str, list[str]]]:
    """(tags, lexicon): the model's, else a config's ``data.labels`` and ``model.lexicon``, else the
    default tags without a lexicon (the queue then ranks by nothing but the model, if any)."""
    if model is not None:
        return list(model.classes_), dict(getattr(model, "lexicon", None) or {})
    if config:
        from ..config import load_config

        cfg = load_config(config)
        return list(cfg.data.labels or DEFAULT_TAGS), dict(cfg.model.get("lexicon") or {})
    return list(DEFAULT_TAGS), {}


class LabelSession:
    """Thread-safe: the server calls it from one thread per request."""

    def __init__(self, pool: str, labels: str | Path, *, model_dir: str | Path | None = None, tag: str | None = None,
                 config: str | Path | None = None, fields: Fields | None = None):
        self.pool_path, self.labels_path = pool, Path(labels)
        check_writable(self.labels_path)
        self.model_dir = Path(model_dir) if model_dir else None
        self._lock = threading.RLock()
        self.model, self.model_name, self.model_hash, self._model_stamp = None, None, None, None
        self._load_model()
        self.tags, self.lexicon = lexicon_of(self.model, config)
        if tag is not None and tag not in self.tags:
            raise ConfigError(f"--tag {tag!r} is not one of the tags {self.tags}")
        self.focus = tag
        articles, self.rejected = read_pool(pool, fields)
        if not articles:
            raise DataError(f"--pool {pool}: no article could be read ({self.rejected} records rejected)")
        self.log = LabelLog(self.labels_path)
        self.queue = CandidateQueue(articles, tags=self.tags, lexicon=self.lexicon, model=self.model, focus=tag)
        self._held: dict[str, str] = {}  # annotator -> id on their screen
        self._seen: dict[str, float] = {}  # annotator -> when they last asked (a closed tab stops asking)
        terms = self.lexicon
        self._terms = [(term, t) for t, ts in terms.items() for term in ts if not self.focus or t == self.focus] + [
            (term, t) for t, ts in terms.items() for term in ts if self.focus and t != self.focus]

    # --- model -------------------------------------------------------------------------------

    def _stamp(self):
        manifest = self.model_dir / "manifest.json"
        st = manifest.stat()
        return st.st_mtime_ns, st.st_size

    def _load_model(self) -> bool:
        if self.model_dir is None:
            return False
        from ..core.directory import load_model, model_hash, read_meta

        stamp = self._stamp()
        if stamp == self._model_stamp:
            return False
        self.model = load_model(self.model_dir)
        if not getattr(self.model, "multi_label_", False):
            raise ConfigError(f"--model {self.model_dir}: expected a multi-label topic tagger")
        self.model_name, self.model_hash = read_meta(self.model_dir)["name"], model_hash(self.model_dir)
        self._model_stamp = stamp
        return True

    def reload_model_if_changed(self) -> bool:
        """After a retrain into the same folder: load the new model and rank the queue again."""
        with self._lock:
            if self.model_dir is None or not (self.model_dir / "manifest.json").exists():
                return False
            if self._stamp() == self._model_stamp or not self._load_model():
                return False
            self.queue.rescore(self.model)
            return True

    # --- the queue -----------------------------------------------------------------------------

    def ranked(self) -> list[Candidate]:
        with self._lock:
            self.log.refresh()
            return self.queue.ranked(self.log.closed_ids())

    def peek(self, annotator: str) -> Candidate | None:
        """The article ``annotator`` holds, if it is still open; claims nothing (a GET may be cross-site)."""
        with self._lock:
            self.log.refresh()
            held = self._held.get(_name(annotator))
            return self.queue.by_id(held) if held is not None and held not in self.log.closed_ids() else None

    def current(self, annotator: str) -> Candidate | None:
        """The article on ``annotator``'s screen: kept until decided, else the best undecided one that
        no other annotator of this session has on screen (claimed: only ``annotator`` may decide it)."""
        annotator = _name(annotator)
        self.reload_model_if_changed()
        with self._lock:
            self.log.refresh()
            closed = self.log.closed_ids()
            self._seen[annotator] = time.monotonic()
            held = self._held.get(annotator)
            if held is not None and held not in closed:
                return self.queue.by_id(held)
            active = time.monotonic() - HOLD_SECONDS
            others = {v for k, v in self._held.items() if k != annotator and self._seen.get(k, 0) > active}
            for c in self.queue.ranked(closed):
                if c.id not in others:
                    for idle in [k for k, v in self._held.items() if v == c.id]:  # a hold that lapsed ends here
                        del self._held[idle]
                    self._held[annotator] = c.id
                    return c
            self._held.pop(annotator, None)
            return None

    # --- decisions -----------------------------------------------------------------------------

    def decide(self, annotator: str, id_: str, tags: Sequence[str], rejected: Sequence[str] = (), *,
               unsure: bool = False, reason: str = "") -> dict:
        """Append a ``label`` event: ``tags`` accepted, ``rejected`` judged absent, every other tag
        undecided (training masks it for this article). Only for the article ``annotator`` holds, while
        it is open: the labels file is checked under its lock, so two servers on one file cannot both
        decide it."""
        annotator = _name(annotator)
        bad = [t for t in [*tags, *rejected] if t not in self.tags]
        if bad:
            raise UnknownTagError(f"unknown tag {bad[0]!r}; the tags are {self.tags}")
        both = [t for t in tags if t in rejected]
        if both:
            raise LabelsFileError(f"tag {both[0]!r} is both accepted and rejected")
        if not tags and not rejected:
            raise LabelsFileError("nothing decided: accept or reject at least one tag (or skip the article)")
        reason = (reason or "").strip()
        if unsure and not reason:
            raise MissingReasonError("an unsure decision needs a short reason")
        with self._lock:
            c = self._held_candidate(annotator, id_)
            event = append_event(self.labels_path, {
                "action": "label", "id": id_, "tags": [t for t in self.tags if t in tags],
                "rejected": [t for t in self.tags if t in rejected], "confidence": CONFIDENCE[1 if unsure else 0],
                "reason": reason, "annotator": annotator, "model": self.model_name, "model_hash": self.model_hash,
                "queue_tag": self.focus or c.tag, "scores": {t: round(p, 4) for t, p in c.scores.items()},
                "title": c.title, "text": c.text}, check=lambda fd: self._check_open(fd, id_))
            self._held.pop(annotator, None)
            return event

    def skip(self, annotator: str, id_: str) -> dict:
        annotator = _name(annotator)
        with self._lock:
            self._held_candidate(annotator, id_)
            event = append_event(self.labels_path, {"action": "skip", "id": id_, "annotator": annotator},
                                 check=lambda fd: self._check_open(fd, id_))
            self._held.pop(annotator, None)
            return event

    def _held_candidate(self, annotator: str, id_: str) -> Candidate:
        c = self._candidate(id_)
        if self._held.get(annotator) != id_:
            raise ArticleNotOpenError(f"article {id_!r} is not the one on {annotator}'s screen (it went to another "
                                      "annotator after a long pause, or the page is old): reload for the next article")
        return c

    def _check_open(self, fd: int, id_: str) -> None:
        """Under the labels file's lock: refuse when another session (another server on the same file)
        has decided or skipped ``id_`` since this one showed it."""
        self.log.refresh(fd)
        labels, skips = live_decisions(self.log.events)
        if id_ in labels or id_ in skips:
            ev = labels.get(id_)
            by = f"decided by {ev.data.get('annotator')!r}" if ev is not None else "skipped"
            raise ArticleNotOpenError(f"article {id_!r} was already {by} (another session on this labels file); "
                                      "nothing was written: reload for the next article")

    def undo(self, annotator: str) -> str | None:
        """Cancel ``annotator``'s latest live decision or skip; that article is on their screen again."""
        annotator = _name(annotator)
        with self._lock:
            self.log.refresh()
            mine = [e for e in live_events(self.log.events) if e.data.get("annotator") == annotator]
            if not mine:
                return None
            id_ = mine[-1].id
            append_event(self.labels_path, {"action": "undo", "id": id_, "annotator": annotator})
            self._held[annotator] = id_
            return id_

    def _candidate(self, id_: str) -> Candidate:
        c = self.queue.by_id(id_)
        if c is None:
            raise ConfigError(f"id {id_!r} is not in the pool {self.pool_path}")
        return c

    def live_labels_of(self, annotator: str, ids: list[str]) -> int:
        """How many of ``ids`` have a live decision of ``annotator`` (undone ones do not count)."""
        with self._lock:
            self.log.refresh()
            latest = live_labels(self.log.events)
            return sum(_name(annotator) in latest.get(id_, {}) for id_ in set(ids))

    # --- what the page and the terminal show -----------------------------------------------------

    def progress(self, annotator: str | None = None) -> dict:
        with self._lock:
            self.log.refresh()
            labels, skips = live_decisions(self.log.events)
            today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
            todays = [e for e in labels.values() if str(e.data.get("time", "")).startswith(today)]
            return {
                "labelled": len(labels), "skipped": len(skips),
                "labelled_today": len(todays),
                "labelled_today_by_you": sum(e.data.get("annotator") == annotator for e in todays),
                "positives": {t: sum(t in e.data.get("tags", []) for e in labels.values()) for t in self.tags},
                "queue_left": len(self.queue.ranked(set(labels) | skips)),
                "pool": len(self.queue.candidates),
            }

    def view(self, c: Candidate | None, annotator: str) -> dict:
        """What the page shows of one article (JSON-able)."""
        out = {"tags": self.tags, "focus": self.focus, "model": self.model_name, "model_hash": self.model_hash,
               "progress": self.progress(annotator), "article": None}
        if c is None:
            return out
        body = clean(c.text)
        truncated = len(body) > BODY_MAX_CHARS
        thresholds = getattr(self.model, "thresholds_", {}) if self.model is not None else {}
        out["article"] = {
            "id": c.id, "title": c.title or "", "title_marks": highlight(c.title or "", self._terms),
            "body": highlight(body[:BODY_MAX_CHARS], self._terms), "truncated": truncated,
            "scores": c.scores, "thresholds": {t: thresholds.get(t) for t in c.scores},
            "hits": c.hits, "priority": round(c.priority, 3), "why_tag": c.tag, "reasons": c.reasons,
            "evidence": self._evidence(c, thresholds),
        }
        return out

    def _evidence(self, c: Candidate, thresholds: dict) -> dict[str, list[str]]:
        """Per tag the model gives, the sentences with the largest share of its score (``mlpkg tag
        --evidence``): the annotator sees at once why the model tags it, and so its mistakes."""
        from ..classify.evidence import evidence, evidence_problem
        from ..text.normalize import article_text

        if self.model is None or evidence_problem(self.model) is not None:
            return {}
        given = [t for t, p in c.scores.items() if p >= thresholds.get(t, 0.5)]
        return evidence(self.model, [article_text(c.title, c.text)], [given])[0] if given else {}


def _name(annotator: str) -> str:
    name = (annotator or "").strip()
    if not name:
        raise ConfigError("an annotator name is required")
    return name[:80]
