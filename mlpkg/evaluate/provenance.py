"""What a reader of a report or model card needs to trust and reproduce the numbers: when, from
which code and which data file, with which library versions, and what the rows used were."""

from __future__ import annotations

import contextvars
import hashlib
import platform
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..errors import DataError

PACKAGES = ("mlpkg", "numpy", "scipy", "scikit-learn", "datasets", "pyarrow", "torch", "transformers")


def _git(*args: str) -> str | None:
    """``git args`` in the working directory, its output stripped, or None (no git, not a repository)."""
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def git_commit(data: Path) -> str | None:
    """The commit of the working directory's repository, with ``+changes`` when tracked files differ from
    it, where ``data`` lies inside that repository; else None. The code a run used cannot be told from a
    commit of another repository (the one that happens to enclose an installed mlpkg, for one), and a
    data file outside the repository is not versioned by its commit."""
    root = _git("rev-parse", "--show-toplevel")
    if not root or not data.resolve().is_relative_to(Path(root).resolve()):
        return None
    commit, dirty = _git("rev-parse", "HEAD"), _git("status", "--porcelain", "--untracked-files=no")
    return None if commit is None else commit + ("+changes" if dirty else "")


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# ``{"run_id", "tracking_uri", "experiment"}`` of the MLflow run under way, set by mlpkg.tracking.tracked_run
# (a model folder's run.json records it); None when the run is not tracked
TRACKED_RUN: contextvars.ContextVar[dict | None] = contextvars.ContextVar("mlpkg_mlflow_run", default=None)


def run_metadata(data_path: str) -> dict:
    """Date (UTC), git commit (:func:`git_commit`), the data file and its sha256, Python and package versions,
    and the MLflow run that tracks this one (``mlflow``: run id, store, experiment) where one does."""
    from ..core.directory import sha256_file
    from ..data.load import resolve_data_path

    path = resolve_data_path(data_path)
    meta = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(path),
        "data": data_path,
        "data_sha256": sha256_file(path) if path.is_file() else None,
        "python": platform.python_version(),
        "packages": {name: v for name in PACKAGES if (v := _installed(name))},
    }
    tracked = TRACKED_RUN.get()
    return {**meta, "mlflow": tracked} if tracked else meta


def _id_hash(id_: object) -> str:
    return hashlib.blake2b(str(id_).encode("utf-8"), digest_size=8).hexdigest()


def learned_from(data_path: str, ids: Sequence, selection: str, labels_files: Sequence[str] = ()) -> dict:
    """What a model learned from (``learned_from.json`` of a model folder): the data file and its sha256,
    which rows (``selection``, e.g. ``split = train``), the labels files and their sha256, and a hash of
    every row id (64 bits each: the ids themselves stay in the data), so that ``mlpkg evaluate`` can tell
    when it is asked to score rows the model has seen.

    >>> learned_rows(learned_from("x.parquet", ["a", "b"], "all rows"), ["b", "c"])
    1
    """
    from ..core.directory import sha256_file
    from ..data.load import resolve_data_path

    def sha(path: str) -> str | None:
        return sha256_file(resolve_data_path(path)) if resolve_data_path(path).is_file() else None

    return {"data": data_path, "data_sha256": sha(data_path), "selection": selection,
            "labels_files": [{"path": p, "sha256": sha(p)} for p in labels_files], "rows": len(ids),
            "id_hashes": sorted({_id_hash(i) for i in ids})}


def learned_rows(learned: dict, ids: Sequence) -> int:
    """How many of ``ids`` are rows the model learned from (:func:`learned_from`)."""
    seen = set(learned.get("id_hashes", ()))
    return sum(_id_hash(i) in seen for i in ids)


def metadata_rows(meta: dict) -> list[tuple[str, str]]:
    """(field, value) pairs for a report or card table."""
    return [
        ("date (UTC)", meta["date"]),
        ("git commit", meta["git_commit"] or "none (the data file is not in the working directory's git repository)"),
        ("data file", meta["data"]),
        ("data sha256", meta["data_sha256"] or "not a local file"),
        *((f"labels file {f['file']}", f"sha256 {f['sha256']}, {f['decisions']} decisions on {f['articles']} articles")
          for f in meta.get("labels_files", [])),
        ("python", meta["python"]),
        ("packages", ", ".join(f"{k} {v}" for k, v in meta["packages"].items())),
        *((("MLflow run", f"{m['run_id']} in {m['tracking_uri']} (experiment {m['experiment']})"),)
          if (m := meta.get("mlflow")) else ()),
    ]


SOURCE_COLUMNS = ("publisher", "source", "dataset")  # the first present names where a row comes from
DATE_COLUMN = "date"


def describe_rows(data_path: str, ids: Sequence, id_field: str = "id", fold_field: str | None = None) -> dict:
    """What the rows a run used are, read from the data file: how many, from which publishers or
    sources, over which dates and (``fold_field``) folds. Only what the file holds is reported, so a
    model card says what its own data was, never what a corpus is assumed to be."""
    from ..data.load import load_table, parse_dates

    profile: dict = {"rows": len(ids)}
    try:
        ds = load_table(data_path, columns=(id_field,))
    except DataError:  # a CSV whose header has no id column: rows cannot be matched to the file
        return profile
    wanted = [c for c in (id_field, *SOURCE_COLUMNS, DATE_COLUMN, fold_field) if c and c in ds.column_names]
    if id_field not in wanted:  # rows cannot be matched to the file
        return profile
    frame = ds.select_columns(list(dict.fromkeys(wanted))).to_pandas()
    frame = frame[frame[id_field].astype(str).isin({str(i) for i in ids})]
    source = next((c for c in SOURCE_COLUMNS if c in frame.columns), None)
    if source is not None:
        counts = frame[source].fillna("").astype(str).replace("", "unknown").value_counts()
        profile["sources"] = {"column": source, "distinct": int(len(counts)),
                              "top": [[str(k), int(v)] for k, v in counts.head(3).items()]}
    if DATE_COLUMN in frame.columns:
        dates = parse_dates(frame[DATE_COLUMN].tolist())  # ISO or as Indonesian sites write them
        if dates.notna().any():
            profile["dates"] = {"first": dates.min().date().isoformat(), "last": dates.max().date().isoformat(),
                                "undated": int(dates.isna().sum())}
    if fold_field and fold_field in frame.columns:
        profile["folds"] = {"column": fold_field, "values": sorted({str(v) for v in frame[fold_field]})}
    return profile


def settings_lines(model) -> list[str]:
    """A card's Settings section: the model's parameters and where the full configuration is."""
    params = ", ".join(f"{k}={v!r}" for k, v in model.get_params().items())
    return ["## Settings", "", f"`{params}`", "", "The full resolved configuration is in `config.yaml`.", ""]


def describe_folds(profile: dict) -> str:
    """``" (fold 1, 2, 3)"`` from :func:`describe_rows`, or ``""`` when the file has no fold column."""
    folds = profile.get("folds")
    return f" ({folds['column']} {', '.join(folds['values'])})" if folds else ""


def data_table(profiles: dict[str, dict], what: str = "rows") -> list[str]:
    """A markdown table, one line per split, of :func:`describe_rows` profiles."""
    lines = [f"| split | {what} | sources | most rows from | dates |", "|---|---:|---:|---|---|"]
    for split, p in profiles.items():
        src = p.get("sources")
        top = ", ".join(f"{name} ({n})" for name, n in src["top"]) if src else "not in the file"
        dates = p.get("dates")
        span = "not in the file"
        if dates:
            unread = f" ({dates['undated']} without a readable date)" if dates["undated"] else ""
            span = f"{dates['first']} to {dates['last']}{unread}"
        distinct = src["distinct"] if src else "-"
        lines.append(f"| {split}{describe_folds(p)} | {p['rows']} | {distinct} | {top} | {span} |")
    return lines


def data_scope(profiles: dict[str, dict]) -> str:
    """One sentence on what the model saw: dates and sources over every split, or '' if the file says nothing."""
    firsts = [p["dates"]["first"] for p in profiles.values() if p.get("dates")]
    lasts = [p["dates"]["last"] for p in profiles.values() if p.get("dates")]
    sources = {p["sources"]["column"] for p in profiles.values() if p.get("sources")}
    distinct = max((p["sources"]["distinct"] for p in profiles.values() if p.get("sources")), default=0)
    parts = []
    if firsts:
        parts.append(f"dated {min(firsts)} to {max(lasts)}")
    if sources:
        parts.append(f"from at least {distinct} sources (column `{sorted(sources)[0]}`; see the data table)")
    return ("Trained on articles " + " and ".join(parts) + ".") if parts else ""
