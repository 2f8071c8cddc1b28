"""MLflow tracking of ``mlpkg train``, ``cv`` and ``evaluate`` (the ``track`` extra), and ``mlpkg runs``.

One MLflow run per command: the resolved config as params, every metric of the run (per fold as a step),
the run's provenance as tags, the files it wrote as artifacts. MLflow is imported only once tracking is
switched on (``--track [URI]`` or ``tracking.enabled``), so a run without it pays nothing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .config import TrackingConfig, tracking_uri_problem
from .errors import ConfigError, TrackingError
from .evaluate.provenance import TRACKED_RUN
from .extras import require

DEFAULT_URI = "sqlite:///mlruns.db"
HEADLINE = "macro_f1"  # the main metric: macro-F1 of the model (cv: mean over the folds of the first protocol)
SKIPPED = {"intervals", "by_publisher", "confusion_matrix"}  # in metrics.json and the report, not as metrics
# MLflow's limits per log_batch call and per param value
PARAMS_PER_CALL, METRICS_PER_CALL, PARAM_CHARS = 100, 1000, 6000


def _prepare(uri: str, purpose: str) -> None:
    """What every use of a store does first: the ``track`` extra is there (E007), MLflow's usage reports
    are off unless the user set MLFLOW_DISABLE_TELEMETRY themselves (mlpkg runs on hosts that may not reach
    out, a ministry's batch host), and the store answers (:func:`check_reachable`)."""
    require("track", purpose)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    check_reachable(uri)


def tracking_uri(flag: str | None, settings: TrackingConfig) -> str | None:
    """The store a run is tracked in, or None when tracking is off. ``flag``: ``--track``'s value (None:
    not given; "": given without a URI). Order: ``--track URI``, ``MLFLOW_TRACKING_URI``, ``tracking.uri``,
    :data:`DEFAULT_URI`."""
    if flag is None and not settings.enabled:
        return None
    env = os.environ.get("MLFLOW_TRACKING_URI")
    uri = flag or env or settings.uri or DEFAULT_URI
    problem = tracking_uri_problem(uri)
    if problem:  # tracking.uri was checked at config load
        raise ConfigError(f"{'--track URI' if flag else 'MLFLOW_TRACKING_URI'} {problem}")
    return uri


def check_reachable(uri: str) -> None:
    """Fail with :class:`TrackingError` when the server of an ``http(s)`` ``uri`` does not answer its health
    check (a database or folder store is opened when the run is created, also before training)."""
    import urllib.request  # here, not at the top: a run without tracking imports neither it nor mlflow

    if not uri.lower().startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=10) as answer:
            answer.read()
    except (OSError, ValueError) as exc:  # URLError, a refused connection, a timeout, a malformed URL
        reason = getattr(exc, "reason", None) or exc
        raise TrackingError(f"the MLflow tracking server {uri} cannot be reached ({reason}); nothing was run. "
                            "Start it (mlflow server --host 127.0.0.1 --port 5000), fix --track / "
                            "MLFLOW_TRACKING_URI / tracking.uri, or run without tracking") from None


@contextlib.contextmanager
def tracked_run(flag: str | None, settings: TrackingConfig, command: str, name: str, params: dict,
                data_path: str) -> Iterator[Callable[[dict], None]]:
    """An MLflow run around a command's work, or nothing when tracking is off. Yields ``record(result)``,
    which logs what the command returned (:func:`record_result`). The store is checked and the run
    created before the body runs; a body that raises marks the run FAILED (KILLED on Ctrl-C).

    >>> with tracked_run(None, TrackingConfig(), "cv", "topic_tfidf", {}, "data/topics.parquet") as record:
    ...     record({"results": {}})
    """
    uri = tracking_uri(flag, settings)
    if uri is None:
        yield lambda result: None
        return
    _prepare(uri, "MLflow tracking (--track, tracking.enabled)")
    client, run_id = _start_run(uri, settings.experiment, command, name, params, data_path)
    token = TRACKED_RUN.set({"run_id": run_id, "tracking_uri": uri, "experiment": settings.experiment})
    try:
        yield lambda result: record_result(client, run_id, command, result)
    except BaseException as exc:
        client.set_tag(run_id, "mlpkg.error", str(exc)[:PARAM_CHARS])
        client.set_terminated(run_id, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    else:
        client.set_terminated(run_id, "FINISHED")
    finally:
        TRACKED_RUN.reset(token)


def _start_run(uri: str, experiment: str, command: str, name: str, params: dict, data_path: str):
    """(client, run id) of a new run in ``experiment`` (created when missing), with params and provenance tags."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from .evaluate.provenance import run_metadata

    meta = run_metadata(data_path)
    tags = {"mlpkg.command": command, "mlpkg.git_commit": meta["git_commit"] or "none", "mlpkg.data": meta["data"],
            "mlpkg.data_sha256": meta["data_sha256"] or "not a local file", "mlpkg.python": meta["python"],
            **{f"mlpkg.version.{k}": v for k, v in meta["packages"].items()}}
    try:
        client = MlflowClient(tracking_uri=uri)
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(experiment)
        run_id = client.create_run(experiment_id, run_name=f"{command} {name}", tags=tags).info.run_id
        _log_batch(client, run_id, params=flat_params(params))
    except (MlflowException, OSError) as exc:
        raise TrackingError(f"the MLflow tracking store {uri} refused the run ({str(exc).splitlines()[0]}); "
                            "nothing was run") from None
    return client, run_id


def record_result(client, run_id: str, command: str, result: dict) -> None:
    """Log a command's result: every number of its metrics (``per fold`` lists as steps), the headline
    :data:`HEADLINE`, row counts as tags, and its folder as artifacts (``train``: the model folder, under
    ``model/``, with its thresholds as metrics and its path as the tag ``mlpkg.model_dir``)."""
    metrics = result.get("results") or result.get("metrics") or {}
    # the headline first: the MLflow UI's compare plot opens on the first metric of a run
    values = [(key, value, 0) for key, value in headline(command, metrics).items()] + list(flat_metrics(metrics))
    tags = {f"mlpkg.rows.{key}": str(n) for key, n in row_counts(metrics).items()}
    out = Path(result["output_dir"]) if "output_dir" in result else None
    if command == "train" and out is not None:
        meta = json.loads((out / "mlpkg.json").read_text(encoding="utf-8"))
        values += [(f"threshold.{_key(tag)}", float(cut), 0) for tag, cut in (meta.get("thresholds") or {}).items()]
        tags["mlpkg.model_dir"] = str(out.resolve())
    _log_batch(client, run_id, metrics=values, tags=tags)
    if out is not None:
        client.log_artifacts(run_id, str(out), "model" if command == "train" else None)


def headline(command: str, metrics: dict) -> dict[str, float]:
    """``macro_f1`` (and ``macro_f1.PROTOCOL`` for cv): the model's macro-F1, mean over the folds where it
    was cross-validated, else on the test split, else on the rows evaluated."""
    if command == "cv":
        found = {f"{HEADLINE}.{p}": r["model"]["summary"]["macro"]["f1"]["mean"] for p, r in metrics.items()}
        return {HEADLINE: next(iter(found.values())), **found} if found else {}
    scores = metrics.get("cv", {}).get("summary") or metrics.get("test") or metrics
    f1 = (scores.get("macro") or {}).get("f1")
    f1 = f1["mean"] if isinstance(f1, dict) else f1
    return {HEADLINE: f1} if isinstance(f1, (int, float)) and math.isfinite(f1) else {}


def row_counts(metrics: dict) -> dict[str, int]:
    """Rows scored per split or protocol: ``{"test": 1204}``, ``{"group": 12844}``; ``{"evaluated": 1204}``
    for the metrics of one file (``mlpkg evaluate``)."""
    if isinstance(metrics.get("n"), int):
        return {"evaluated": metrics["n"]}
    counts = {}
    for key, m in metrics.items():
        if isinstance(m, dict) and isinstance(m.get("n"), int):
            counts[key] = m["n"]
        elif isinstance(m, dict) and isinstance((m.get("model") or m).get("pooled"), dict):
            counts[key] = (m.get("model") or m)["pooled"]["n"]
    return counts


def _key(text: Any) -> str:
    """An MLflow metric or param name: letters, digits and ``_-. /``; anything else becomes ``_``."""
    return re.sub(r"[^\w\-. /]", "_", str(text))


def flat_metrics(tree: dict, prefix: str = "", step: int = 0) -> Iterator[tuple[str, float, int]]:
    """(dotted name, value, step) of every finite number in ``tree``; a ``folds`` list gives one step per
    fold, so MLflow draws the per-fold values as a curve.

    >>> list(flat_metrics({"group": {"macro": {"f1": 0.8}, "folds": [{"fold": "1", "n": 9}, {"fold": "2", "n": 8}]}}))
    [('group.macro.f1', 0.8, 0), ('group.folds.n', 9.0, 0), ('group.folds.n', 8.0, 1)]
    """
    for key, value in tree.items():
        name = prefix + _key(key)
        if key in SKIPPED or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and math.isfinite(value):
            yield name, float(value), step
        elif isinstance(value, dict):
            yield from flat_metrics(value, name + ".", step)
        elif key == "folds" and isinstance(value, list):
            for fold, entry in enumerate(value):
                if isinstance(entry, dict):
                    yield from flat_metrics({k: v for k, v in entry.items() if k != "fold"}, name + ".", fold)


def flat_params(tree: dict, prefix: str = "") -> dict[str, str]:
    """The config as MLflow params: dotted keys, lists and other values as JSON (cut to MLflow's limit).

    >>> flat_params({"model": {"C": 0.5, "word_ngrams": [1, 2]}, "seed": 0})
    {'model.C': '0.5', 'model.word_ngrams': '[1, 2]', 'seed': '0'}
    """
    out = {}
    for key, value in tree.items():
        name = prefix + _key(key)
        if isinstance(value, dict) and value:
            out.update(flat_params(value, name + "."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            out[name] = text[:PARAM_CHARS]
    return out


def _log_batch(client, run_id: str, metrics: list | None = None, params: dict | None = None,
               tags: dict | None = None) -> None:
    """``client.log_batch`` in calls within MLflow's limits."""
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    metric_rows = [Metric(key, value, now, step) for key, value, step in metrics or []]
    param_rows = [Param(k, v) for k, v in (params or {}).items()]
    tag_rows = [RunTag(k, v) for k, v in (tags or {}).items()]
    for kind, rows, per_call in (("metrics", metric_rows, METRICS_PER_CALL), ("params", param_rows, PARAMS_PER_CALL),
                                 ("tags", tag_rows, PARAMS_PER_CALL)):
        for i in range(0, len(rows), per_call):
            client.log_batch(run_id, **{kind: rows[i: i + per_call]})


def runs_table(flag: str | None, experiment: str, sort: str | None = None) -> str:
    """The runs of ``experiment`` as a plain table: run, status, the params whose values differ between
    runs and the headline metrics; newest first, or by the metric ``sort`` (highest first, runs without
    it last)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from .evaluate.tables import render_table

    uri = tracking_uri(flag if flag is not None else "", TrackingConfig(experiment=experiment))
    _prepare(uri, "mlpkg runs")
    try:
        client = MlflowClient(tracking_uri=uri)
        found = client.get_experiment_by_name(experiment)
        runs = client.search_runs([found.experiment_id], order_by=["attributes.start_time DESC"]) if found else []
    except MlflowException as exc:
        raise TrackingError(f"the MLflow tracking store {uri} cannot be read ({str(exc).splitlines()[0]})") from None
    if not runs:
        return f"no runs in experiment {experiment!r} of {uri}"
    if sort:
        runs = sorted(runs, key=lambda r: -r.data.metrics[sort] if sort in r.data.metrics else math.inf)
    keys = sorted({k for r in runs for k in r.data.params})
    differ = [k for k in keys if len({r.data.params.get(k) for r in runs}) > 1]
    shown = sorted({k for r in runs for k in r.data.metrics if k.startswith(HEADLINE)} | ({sort} if sort else set()))
    rows = [[r.info.run_id[:8], r.info.run_name or "", r.info.status,
             *(r.data.params.get(k, "") for k in differ),
             *(f"{r.data.metrics[k]:.4f}" if k in r.data.metrics else "" for k in shown)] for r in runs]
    return render_table(["run", "name", "status", *differ, *shown], rows, "lll" + "l" * len(differ) + "r" * len(shown))
