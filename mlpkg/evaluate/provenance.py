"""What a reader of a report or model card needs to trust and reproduce the numbers: when, from
which code and which data file, with which library versions, and what the rows used were."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = ("mlpkg", "numpy", "scipy", "scikit-learn", "datasets", "pyarrow", "torch", "transformers")


def _git_commit() -> str | None:
    """The commit of the checkout mlpkg runs from, with ``+changes`` when files differ from it."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # no git, or not a checkout (an installed wheel)
        return None
    return commit + ("+changes" if dirty else "")


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def run_metadata(data_path: str) -> dict:
    """Date (UTC), git commit, the data file and its sha256, Python and package versions."""
    from ..core.directory import sha256_file
    from ..data.load import resolve_data_path

    path = resolve_data_path(data_path)
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "data": data_path,
        "data_sha256": sha256_file(path) if path.is_file() else None,
        "python": platform.python_version(),
        "packages": {name: v for name in PACKAGES if (v := _installed(name))},
    }


def metadata_rows(meta: dict) -> list[tuple[str, str]]:
    """(field, value) pairs for a report or card table."""
    return [
        ("date (UTC)", meta["date"]),
        ("git commit", meta["git_commit"] or "not a git checkout"),
        ("data file", meta["data"]),
        ("data sha256", meta["data_sha256"] or "not a local file"),
        *((f"labels file {f['file']}", f"sha256 {f['sha256']}, {f['decisions']} decisions on {f['articles']} articles")
          for f in meta.get("labels_files", [])),
        ("python", meta["python"]),
        ("packages", ", ".join(f"{k} {v}" for k, v in meta["packages"].items())),
    ]


SOURCE_COLUMNS = ("publisher", "source", "dataset")  # the first present names where a row comes from
DATE_COLUMN = "date"


def describe_rows(data_path: str, ids: Sequence, id_field: str = "id", fold_field: str | None = None) -> dict:
    """What the rows a run used are, read from the data file: how many, from which publishers or
    sources, over which dates and (``fold_field``) folds. Only what the file holds is reported, so a
    model card says what its own data was, never what a corpus is assumed to be."""
    from ..data.load import load_table, parse_dates

    ds = load_table(data_path)
    wanted = [c for c in (id_field, *SOURCE_COLUMNS, DATE_COLUMN, fold_field) if c and c in ds.column_names]
    profile: dict = {"rows": len(ids)}
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
