"""The tagging step both engines share: articles in, output JSON lines (or model rejects) out.

A :class:`Tagger` holds one loaded classifier (and optionally one summariser) and turns a chunk
of :class:`~mlpkg.batch.validate.Article` into output lines. Local worker processes and Ray
actors each build one Tagger at start-up and reuse it for every chunk, and both call
:func:`tag_articles`, so the two engines write byte-identical lines.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.directory import model_hash, read_meta
from ..errors import ModelKindError
from ..text.normalize import article_text
from .time_budget import time_budget
from .validate import Article, Record, dumps_line, reject

SCORE_DECIMALS = 4  # enough to rank and threshold by eye; identical across engines and platforms
# Rows per predict call, whatever --chunk-size is: the TF-IDF char n-gram matrix of 2,000 long
# articles and sklearn's buffers for it take ~200 MB; 250 rows keep a worker's peak low and cost
# no speed (every row is featurised on its own, so the results do not depend on the batch).
PREDICT_BATCH = 250
# Seconds one call of the model may take, on a batch or on one article alone (mlpkg tag --row-timeout)
ROW_TIMEOUT_S = 120.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """What the output rows say about a model, read from its directory without loading it."""

    path: str
    name: str
    hash: str
    kind: str
    labels: list[str]

    @classmethod
    def read(cls, directory: str | Path, expected_kind: str, option: str) -> "ModelInfo":
        meta = read_meta(Path(directory))  # verifies the manifest: a tampered model fails here, early
        kind = meta.get("kind")
        if kind != expected_kind:
            raise ModelKindError(f"{option} {directory} holds a {kind} ({meta.get('name')}), not a {expected_kind}: "
                                 + _WHERE_IT_GOES.get(kind, "pass a classifier or summariser model directory"
                                                      ).format(path=directory))
        return cls(str(directory), meta["name"], model_hash(Path(directory)), kind, list(meta.get("labels") or []))


# What to pass instead, by the kind of model that was given where the other kind belongs
_WHERE_IT_GOES = {
    "classifier": "tag with it by `mlpkg tag --model {path}`; `mlpkg summarize --model` and `mlpkg tag "
                  "--summarizer` take a summariser directory (train one: python train.py --config "
                  "configs/summary_trained.yaml)",
    "summarizer": "pass it as `--summarizer {path}` beside a classifier --model (e.g. models/topic_tfidf), or "
                  "summarise alone with `mlpkg summarize --model {path}`",
}


class Tagger:
    """A loaded classifier and/or summariser that writes output rows (``mlpkg summarize``: no classifier).

    >>> tagger = Tagger("models/topic_tfidf")  # doctest: +SKIP
    >>> tagger.rows([Article(1, "a1", "Koperasi Desa Merah Putih", "Koperasi desa diluncurkan")])  # doctest: +SKIP
    [{'id': 'a1', 'title': 'Koperasi Desa Merah Putih', 'tags': ['koperasi'], 'scores': {'koperasi': 0.97, ...}, ...}]
    """

    def __init__(self, model_dir: str | Path | None, summarizer_dir: str | Path | None = None, evidence: int = 0):
        from ..core.directory import load_model

        self.info = ModelInfo.read(model_dir, "classifier", "--model") if model_dir else None
        self.model = load_model(model_dir) if model_dir else None
        self.evidence = evidence if self.model is not None else 0  # sentences per given tag (--evidence)
        self.summarizer_info = ModelInfo.read(summarizer_dir, "summarizer", "--summarizer") if summarizer_dir else None
        self.summarizer = load_model(summarizer_dir) if summarizer_dir else None

    def rows(self, articles: list[Article]) -> list[dict[str, Any]]:
        """One output row per article, in order."""
        out: list[dict[str, Any]] = []
        for start in range(0, len(articles), PREDICT_BATCH):
            out += self._rows(articles[start: start + PREDICT_BATCH])
        return out

    def _rows(self, articles: list[Article]) -> list[dict[str, Any]]:
        if self.model is not None:
            proba = self.model.predict_proba([article_text(a.title, a.text) for a in articles])
            decided = self.model.decide(proba)
            labels = list(self.model.classes_)
            scores = np.round(proba.astype(np.float64), SCORE_DECIMALS).tolist()
        if self.evidence:
            from ..classify.evidence import evidence

            texts = [article_text(a.title, a.text) for a in articles]
            support = evidence(self.model, texts, [d if isinstance(d, list) else [d] for d in decided], self.evidence)
        summaries = (self.summarizer.summarize([a.text for a in articles], [a.title for a in articles])
                     if self.summarizer is not None else None)
        out = []
        for i, a in enumerate(articles):
            row: dict[str, Any] = {"id": a.id, "title": a.title}
            if self.model is not None:
                row["tags"] = decided[i] if isinstance(decided[i], list) else [decided[i]]
                row["scores"] = dict(zip(labels, scores[i]))
                if self.evidence:
                    row["evidence"] = support[i]
            if summaries is not None:
                row["summary"] = list(summaries[i])
            if self.info is not None:
                row["model"], row["model_hash"] = self.info.name, self.info.hash
            if self.summarizer_info is not None:
                row["summarizer"], row["summarizer_hash"] = self.summarizer_info.name, self.summarizer_info.hash
            out.append(row)
        return out


def tag_articles(tagger: Tagger, articles: list[Article],
                 row_timeout_s: float = ROW_TIMEOUT_S) -> list[tuple[int, bool, str]]:
    """``(row, is_reject, JSON line)`` per article, in order.

    Articles go to the model ``PREDICT_BATCH`` at a time, each call under a budget of ``row_timeout_s``
    seconds (:mod:`mlpkg.batch.time_budget`). If a call raises or runs out of time, the error is logged
    once and its articles are tagged one by one, each under the same budget; those that fail again
    become ``model_error`` rejects, so one poisonous article can neither sink a chunk nor stall a job.
    """
    out: list[tuple[int, bool, str]] = []
    for start in range(0, len(articles), PREDICT_BATCH):
        batch = articles[start: start + PREDICT_BATCH]
        try:
            with time_budget(row_timeout_s):
                rows = tagger.rows(batch)
        except Exception as exc:  # noqa: BLE001 - logged, then isolated article by article
            log.warning("mlpkg tag: rows %d-%d together: %s: %s; tagging them one by one (an article that "
                        "fails alone is a model_error reject)", batch[0].row, batch[-1].row, type(exc).__name__,
                        str(exc)[:300])
            out += [_tag_alone(tagger, a, row_timeout_s) for a in batch]
        else:
            out += [(a.row, False, dumps_line(r)) for a, r in zip(batch, rows)]
    return out


def _tag_alone(tagger: Tagger, article: Article, row_timeout_s: float) -> tuple[int, bool, str]:
    try:
        with time_budget(row_timeout_s):
            return article.row, False, dumps_line(tagger.rows([article])[0])
    except Exception as exc:  # noqa: BLE001 - recorded as the reject's detail
        record = Record(article.row, {"id": article.id, "title": article.title, "text": article.text})
        line = dumps_line(reject(record, "model_error", f"{type(exc).__name__}: {exc}"[:300], article.id))
        return article.row, True, line


_WORKER_TAGGER: Tagger | None = None
_WORKER_ROW_TIMEOUT_S = ROW_TIMEOUT_S


def worker_preload(*models: ModelInfo | None) -> list[str]:
    """Modules a fork server imports once so that every worker it forks starts with them loaded: the
    tagging code, the driver watch, and each model's own module (from the registry, without importing
    it here). Models that run on torch are left to the workers: torch is not imported before a fork."""
    from ..core.registry import locate

    modules = ["mlpkg.batch.tagger", "psutil"]
    for info in models:
        target = locate(info.name) if info is not None else None
        if target is not None and not Path(info.path, "hf").is_dir():
            modules.append(target.partition(":")[0])
    return modules


def init_worker(model_dir: str | None, summarizer_dir: str | None, driver_pid: int,
                row_timeout_s: float = ROW_TIMEOUT_S, evidence: int = 0) -> None:
    """Process-pool initializer: load the models once per worker process.

    The pool already runs one process per core, so each keeps its math libraries (torch for
    IndoBERT models, BLAS) to one thread instead of every worker claiming every core. A worker
    ends itself when the driver is gone (``kill -9``), instead of holding its memory for good.
    """
    global _WORKER_TAGGER, _WORKER_ROW_TIMEOUT_S
    watch_driver(driver_pid)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    if "torch" in sys.modules or any(Path(d, "hf").is_dir() for d in (model_dir, summarizer_dir) if d):
        import torch

        torch.set_num_threads(1)
    _WORKER_TAGGER, _WORKER_ROW_TIMEOUT_S = Tagger(model_dir, summarizer_dir, evidence), row_timeout_s


def watch_driver(pid: int, interval_s: float = 0.5) -> None:
    """Exit this process soon after process ``pid`` ends (checked every ``interval_s`` by a daemon thread).

    Pool workers are children of the multiprocessing fork server, which outlives a killed driver while
    it has children, so neither the parent-death signal nor the pool's pipes would end them.
    """
    import psutil

    driver = psutil.Process(pid)

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            try:
                alive = driver.is_running() and driver.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                alive = False
            if not alive:
                os._exit(1)

    threading.Thread(target=watch, name="watch-driver", daemon=True).start()


def tag_in_worker(articles: list[Article]) -> list[tuple[int, bool, str]]:
    assert _WORKER_TAGGER is not None, "init_worker did not run in this process"
    return tag_articles(_WORKER_TAGGER, articles, _WORKER_ROW_TIMEOUT_S)

