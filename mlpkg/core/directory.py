"""Self-describing model directories: metadata, arrays, manifest of sha256 hashes.

Nothing here unpickles: arrays are read with ``numpy.load(allow_pickle=False)`` (or
safetensors for torch weights), everything else is JSON or text. A directory whose files no
longer match ``manifest.json``, or that holds a file the manifest does not list (so the loader
could read an unverified file), is refused before anything in it is read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelIntegrityError
from .files import write_json, write_text

META_FILE = "mlpkg.json"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path) -> dict[str, str]:
    """Hash every file in the directory (recursively) except the manifest itself."""
    directory = Path(directory)
    files = {
        str(p.relative_to(directory)): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST_FILE
    }
    write_text(directory / MANIFEST_FILE, json.dumps({"sha256": files}, indent=1, sort_keys=True))
    return files


def model_hash(directory: Path) -> str:
    """One short hash naming the exact model: the hash of its manifest."""
    return sha256_file(Path(directory) / MANIFEST_FILE)[:16]


def verify_manifest(directory: Path) -> None:
    directory = Path(directory)
    manifest = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise ModelIntegrityError(f"{directory} is not a model directory (it does not exist or is not a folder)")
    if not manifest.exists():
        raise ModelIntegrityError(f"{directory} has no {MANIFEST_FILE}; refusing to load an unverifiable model")
    expected = _read_manifest(manifest)
    unlisted = sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                      if p.is_file() and p != manifest and str(p.relative_to(directory)) not in expected)
    if META_FILE not in expected or unlisted:
        raise ModelIntegrityError(
            f"{manifest} does not list {', '.join(unlisted[:5]) or META_FILE}: every file of a model must be "
            "hashed in it, or an unverified file could be loaded; refusing to load it (retrain, or restore the "
            "original directory)"
        )
    for name, digest in expected.items():
        path = directory / name
        if not path.exists():
            raise ModelIntegrityError(f"{path} is listed in the manifest but missing")
        if sha256_file(path) != digest:
            raise ModelIntegrityError(
                f"{path} does not match its sha256 in {MANIFEST_FILE}: the file was changed after the model was saved; "
                "refusing to load it (retrain or restore the original file)"
            )


def _read_manifest(manifest: Path) -> dict[str, str]:
    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"))["sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelIntegrityError(f"{manifest} is not a manifest (JSON with a \"sha256\" object of file hashes): "
                                  f"{type(exc).__name__}: {exc}; restore it or retrain the model") from None
    if not isinstance(expected, dict) or not all(isinstance(v, str) for v in expected.values()):
        raise ModelIntegrityError(f"{manifest}: \"sha256\" must map file names to hashes; restore it or retrain")
    return expected


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez(path, **arrays)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def save_estimator(model: Any, directory: Path) -> Path:
    from .. import __version__

    directory.mkdir(parents=True, exist_ok=True)
    meta, files = model._state()
    meta = {
        "format": FORMAT_VERSION,
        "name": model.registered_name,
        "kind": model.kind,
        "mlpkg_version": __version__,
        "params": model.get_params(),
        **meta,
    }
    for name, content in files.items():
        target = directory / name
        if isinstance(content, dict):
            save_arrays(target, content)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            write_text(target, content)
        else:
            write_json(target, content)
    write_json(directory / META_FILE, meta)
    write_manifest(directory)
    return directory


def write_model_dir(directory: str | Path, model: Any, files: dict[str, Any]) -> Path:
    """THE writer of a trained model's folder (classifiers and summarisers alike).

    The model's own files and ``mlpkg.json``, then ``files`` (a ``str`` is written as text, anything
    else as JSON: ``config.yaml``, ``metrics.json``, the card ``README.md``...), then the manifest over
    everything in the folder, so files a caller wrote there before (a report) are hashed too.
    """
    directory = Path(directory)
    model.save(directory)
    for name, content in files.items():
        (write_text if isinstance(content, str) else write_json)(directory / name, content)
    write_manifest(directory)
    return directory


def read_meta(directory: Path) -> dict[str, Any]:
    verify_manifest(directory)
    return read_json(Path(directory) / META_FILE)


def load_model(directory: str | Path) -> Any:
    """Load any saved model directory (classifier or summariser), verifying its manifest first."""
    from ..extras import require_for
    from .registry import resolve

    directory = Path(directory)
    meta = read_meta(directory)
    if meta.get("format") != FORMAT_VERSION:
        raise ModelIntegrityError(
            f"{directory}: model format {meta.get('format')!r} is not supported (expected {FORMAT_VERSION})"
        )
    cls = resolve(meta["name"], where=f"{directory / META_FILE}: name")
    require_for(cls, f"loading {directory} ({meta['name']})")
    return cls._from_state(meta, directory)
