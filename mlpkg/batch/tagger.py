"""The tagging step both engines share: articles in, output JSON lines (or model rejects) out.

A :class:`Tagger` holds one loaded classifier (and optionally one summariser) and turns a chunk
of :class:`~mlpkg.batch.validate.Article` into output lines. Local worker processes and Ray
actors each build one Tagger at start-up and reuse it for every chunk, and both call
:func:`tag_articles`, so the two engines write byte-identical lines.
"""

from __future__ import annotations

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
from .validate import Article, Record, dumps_line, reject

SCORE_DECIMALS = 4  # enough to rank and threshold by eye; identical across engines and platforms
# Rows per predict call, whatever --chunk-size is: the TF-IDF char n-gram matrix of 2,000 long
# articles and sklearn's buffers for it take ~200 MB; 250 rows keep a worker's peak low and cost
# no speed (every row is featurised on its own, so the results do not depend on the batch).
PREDICT_BATCH = 250


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
    [{'id': 'a1', 'tags': ['koperasi'], 'scores': {'koperasi': 0.97, ...}, 'model': 'tfidf_linear.v1', ...}]
    """

    def __init__(self, model_dir: str | Path | None, summarizer_dir: str | Path | None = None):
        from ..core.directory import load_model

        self.info = ModelInfo.read(model_dir, "classifier", "--model") if model_dir else None
        self.model = load_model(model_dir) if model_dir else None
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
            labels = self.model.labels_
            scores = np.round(proba.astype(np.float64), SCORE_DECIMALS).tolist()
        summaries = (self.summarizer.summarize([a.text for a in articles], [a.title for a in articles])
                     if self.summarizer is not None else None)
        out = []
        for i, a in enumerate(articles):
            row: dict[str, Any] = {"id": a.id}
            if self.model is not None:
                row["tags"] = decided[i] if isinstance(decided[i], list) else [decided[i]]
                row["scores"] = dict(zip(labels, scores[i]))
            if summaries is not None:
                row["summary"] = list(summaries[i])
            if self.info is not None:
                row["model"], row["model_hash"] = self.info.name, self.info.hash
            if self.summarizer_info is not None:
                row["summarizer"], row["summarizer_hash"] = self.summarizer_info.name, self.summarizer_info.hash
            out.append(row)
        return out


def tag_articles(tagger: Tagger, articles: list[Article]) -> list[tuple[int, bool, str]]:
    """``(row, is_reject, JSON line)`` per article, in order.

    If the model raises on the chunk, each article is retried alone and those that still fail
    become ``model_error`` rejects, so one poisonous article cannot sink a chunk or a job.
    """
    if not articles:
        return []
    try:
        return [(a.row, False, dumps_line(r)) for a, r in zip(articles, tagger.rows(articles))]
    except Exception:  # noqa: BLE001 - isolated below, article by article
        pass
    out = []
    for a in articles:
        try:
            out.append((a.row, False, dumps_line(tagger.rows([a])[0])))
        except Exception as exc:  # noqa: BLE001 - recorded as the reject's detail
            record = Record(a.row, {"id": a.id, "title": a.title, "text": a.text})
            line = dumps_line(reject(record, "model_error", f"{type(exc).__name__}: {exc}"[:300], a.id))
            out.append((a.row, True, line))
    return out


_WORKER_TAGGER: Tagger | None = None


def worker_preload(*models: ModelInfo | None) -> list[str]:
    """Modules a fork server imports once so that every worker it forks starts with them loaded: the
    tagging code, the driver watch, and each model's own module (from the registry, without importing
    it here). Models that run on torch are left to the workers: torch is not imported before a fork."""
    from ..core.registry import REGISTRY

    modules = ["mlpkg.batch.tagger", "psutil"]
    for info in models:
        if info is not None and info.name in REGISTRY and not Path(info.path, "hf").is_dir():
            modules.append(REGISTRY[info.name].partition(":")[0])
    return modules


def init_worker(model_dir: str | None, summarizer_dir: str | None, driver_pid: int) -> None:
    """Process-pool initializer: load the models once per worker process.

    The pool already runs one process per core, so each keeps its math libraries (torch for
    IndoBERT models, BLAS) to one thread instead of every worker claiming every core. A worker
    ends itself when the driver is gone (``kill -9``), instead of holding its memory for good.
    """
    global _WORKER_TAGGER
    watch_driver(driver_pid)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    if "torch" in sys.modules or any(Path(d, "hf").is_dir() for d in (model_dir, summarizer_dir) if d):
        import torch

        torch.set_num_threads(1)
    _WORKER_TAGGER = Tagger(model_dir, summarizer_dir)


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
    return tag_articles(_WORKER_TAGGER, articles)

