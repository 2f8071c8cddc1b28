"""What a reader of a report or model card needs to trust and reproduce the numbers: when, from
which code and which data file, with which library versions."""

from __future__ import annotations

import platform
import subprocess
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
        ("python", meta["python"]),
        ("packages", ", ".join(f"{k} {v}" for k, v in meta["packages"].items())),
    ]
