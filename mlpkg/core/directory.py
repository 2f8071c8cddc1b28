"""Self-describing model directories: metadata, arrays, manifest of sha256 hashes.

Nothing here unpickles: arrays are read with ``numpy.load(allow_pickle=False)`` (or
safetensors for torch weights), everything else is JSON or text. A directory whose files no
longer match ``manifest.json``, or that holds a file the manifest does not list (so the loader
could read an unverified file), is refused before anything in it is read; so is one that holds a
symbolic link, or whose manifest names a file outside it or one file twice. A model is written to
a fresh folder that is renamed into place (:func:`new_model_dir`), so the manifest lists exactly
the files that model wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, MlpkgError, ModelIntegrityError, ModelKindError
from .files import fsync_tree, umask, write_json, write_text

META_FILE = "mlpkg.json"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_plain_name(name: str) -> bool:
    """A relative POSIX path that stays inside its folder: no absolute path, no ``..``, no ``.`` or empty part."""
    return (bool(name) and "\\" not in name and "\0" not in name and not name.startswith("/")
            and all(part not in ("", ".", "..") for part in name.split("/")))


def _entries(directory: Path) -> tuple[list[str], list[str]]:
    """The regular files and the folders under ``directory``, as sorted relative POSIX names.

    Anything else (a symbolic link, a pipe, a device) is refused: a link could point the loader at
    files elsewhere that no manifest hashes.
    """
    files, folders = [], []
    for root, dirs, names in os.walk(directory):  # never descends into a linked folder
        for name in dirs + names:
            path = Path(root, name)
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                folders.append(path.relative_to(directory).as_posix())
            elif stat.S_ISREG(mode):
                files.append(path.relative_to(directory).as_posix())
            else:
                what = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                raise ModelIntegrityError(
                    f"{path} is {what}: a model folder holds only regular files and folders, so that everything "
                    "loaded from it is hashed in its manifest; replace it with the file itself, or retrain")
    return sorted(files), sorted(folders)


def write_manifest(directory: Path) -> dict[str, str]:
    """Hash every file of a model folder that is being written (its files are all this model's)."""
    files = {name: sha256_file(directory / name) for name in _entries(directory)[0] if name != MANIFEST_FILE}
    _write_hashes(directory, files)
    return files


def _write_hashes(directory: Path, files: dict[str, str]) -> None:
    write_text(directory / MANIFEST_FILE, json.dumps({"sha256": files}, indent=1, sort_keys=True))


def add_to_manifest(directory: Path, names: list[str]) -> None:
    """List ``names``, files just added to a verified model folder, in its manifest; every other entry stays."""
    manifest = _read_manifest(directory / MANIFEST_FILE)
    _write_hashes(directory, {**manifest, **{name: sha256_file(directory / name) for name in names}})


def model_hash(directory: Path) -> str:
    """One short hash naming the exact model: the hash of its manifest, which hashes every file of the folder."""
    return sha256_file(Path(directory) / MANIFEST_FILE)[:16]


def verify_manifest(directory: Path) -> None:
    """Refuse a folder unless it holds exactly the regular files its manifest lists, each with its hash."""
    directory = Path(directory)
    manifest = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise ModelIntegrityError(f"{directory} is not a model directory (it does not exist or is not a folder)")
    files, folders = map(set, _entries(directory))
    if MANIFEST_FILE not in files:
        raise ModelIntegrityError(f"{directory} has no {MANIFEST_FILE}; refusing to load an unverifiable model")
    expected = _read_manifest(manifest)
    listed_folders = sorted(set(expected) & folders)
    if listed_folders:
        raise ModelIntegrityError(f"{manifest} lists {listed_folders[0]}, which is a folder, as a file; "
                                  "restore the model folder or retrain")
    unlisted = sorted(name for name in files if name != MANIFEST_FILE and name not in expected)
    unlisted += sorted(name for name in folders if not any(f.startswith(name + "/") for f in expected))
    if META_FILE not in expected or unlisted:
        raise ModelIntegrityError(
            f"{manifest} does not list {', '.join(unlisted[:5]) or META_FILE}: every file of a model must be "
            "hashed in it, or an unverified file could be loaded; refusing to load it (retrain, or restore the "
            "original directory)"
        )
    for name, digest in expected.items():
        path = directory / name
        if name not in files:
            raise ModelIntegrityError(f"{path} is listed in the manifest but missing")
        if sha256_file(path) != digest:
            raise ModelIntegrityError(
                f"{path} does not match its sha256 in {MANIFEST_FILE}: the file was changed after the model was saved; "
                "refusing to load it (retrain or restore the original file)"
            )


def _read_manifest(manifest: Path) -> dict[str, str]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        twice = sorted(name for name, n in Counter(name for name, _ in pairs).items() if n > 1)
        if twice:
            raise ModelIntegrityError(f"{manifest} lists {twice[0]!r} twice: a manifest names each file once; "
                                      "restore it or retrain the model")
        return dict(pairs)

    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"), object_pairs_hook=unique)["sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelIntegrityError(f"{manifest} is not a manifest (JSON with a \"sha256\" object of file hashes): "
                                  f"{type(exc).__name__}: {exc}; restore it or retrain the model") from None
    if not isinstance(expected, dict) or not all(isinstance(v, str) for v in expected.values()):
        raise ModelIntegrityError(f"{manifest}: \"sha256\" must map file names to hashes; restore it or retrain")
    outside = sorted(name for name in expected if not _is_plain_name(name) or name == MANIFEST_FILE)
    if outside:
        raise ModelIntegrityError(f"{manifest} lists {outside[0]!r}: a manifest lists files inside its model folder "
                                  "by relative name (no '..', no absolute path); restore it or retrain")
    return expected


def model_part(directory: Path, name: Any, key: str) -> Path:
    """The file or folder of a verified model that ``mlpkg.json`` names under ``key`` (``checkpoint_dir``...).

    Only a relative name inside the folder is accepted: weights read from elsewhere would be loaded
    under the folder's ``model_hash`` without being hashed.
    """
    path = Path(directory) / str(name)
    if not isinstance(name, str) or not _is_plain_name(name) or not path.exists():
        raise ModelIntegrityError(
            f"{Path(directory) / META_FILE}: {key} {name!r} is not a file or folder inside the model folder; a model "
            "loads only what its folder holds and its manifest hashes; restore the folder or retrain")
    return path


def read_json(path: Path) -> Any:
    """A JSON file of a model folder; one that does not parse is an :class:`ModelIntegrityError` naming it."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelIntegrityError(f"{path} is not valid JSON ({exc}); restore the model folder or retrain") from None


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez(path, **arrays)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, never unpickled: an object array is refused, naming the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelIntegrityError(f"{path} is not a file of plain numeric arrays ({type(exc).__name__}: {exc}); "
                                  "restore the model folder or retrain") from None


def write_estimator_files(model: Any, folder: Path) -> None:
    """The model's own files (:meth:`Estimator._state`) and ``mlpkg.json``, written into ``folder``."""
    from .. import __version__

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
        target = folder / name
        if isinstance(content, dict):
            save_arrays(target, content)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            write_text(target, content)
        else:
            write_json(target, content)
    write_json(folder / META_FILE, meta)


def write_model_dir(directory: str | Path, model: Any, files: dict[str, Any] | None = None,
                    overwrite: bool = False) -> Path:
    """THE writer of a model's folder (classifiers and summarisers alike), through :func:`new_model_dir`.

    The model's own files and ``mlpkg.json``, then ``files`` (a ``str`` is written as text, anything
    else as JSON: ``config.yaml``, ``metrics.json``, the card ``README.md``...).
    """
    model._check_fitted()
    with new_model_dir(directory, overwrite) as folder:
        write_model_files(folder, model, files or {})
    return Path(directory)


def write_model_files(folder: Path, model: Any, files: dict[str, Any]) -> None:
    """The model's own files and ``mlpkg.json``, then ``files`` (text for a ``str``, else JSON), into ``folder``."""
    model._write_files(folder)
    for name, content in files.items():
        (write_text if isinstance(content, str) else write_json)(folder / name, content)


def _is_model_dir(directory: Path) -> bool:
    """Whether ``directory`` looks like a folder mlpkg wrote (it holds ``mlpkg.json`` and ``manifest.json``)."""
    return (directory / META_FILE).is_file() and (directory / MANIFEST_FILE).is_file()


def check_model_dir_target(directory: str | Path, overwrite: bool = False) -> None:
    """Refuse to write a model to ``directory`` when that would delete something that is not a model.

    A missing or empty folder, or a previous model folder, is replaced whole; any other folder only
    with ``overwrite`` (``mlpkg train --overwrite``); a file never.
    """
    directory = Path(directory)
    if not directory.exists():
        return
    if not directory.is_dir():
        raise ConfigError(f"output_dir {directory} is a file, not a folder; choose another --output-dir")
    if overwrite or _is_model_dir(directory) or not any(directory.iterdir()):
        return
    raise ConfigError(f"output_dir {directory} is a folder that holds no model ({META_FILE} and {MANIFEST_FILE} are "
                      "missing): writing the model there would delete its files; choose another --output-dir, or "
                      "pass --overwrite to replace the folder whole")


@contextmanager
def new_model_dir(directory: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """A fresh folder beside ``directory`` to write a model into, then renamed into place.

    When the block succeeds the manifest is written once, over the files written into the fresh
    folder and nothing else, and the folder replaces ``directory`` whole (a previous model's files,
    and anything dropped among them, are gone); when it fails ``directory`` is left as it was. A
    ``directory`` that is neither missing, empty nor a model folder is refused unless ``overwrite``
    (:func:`check_model_dir_target`). A symbolic link to a folder keeps pointing at the new model.
    """
    target = Path(directory).resolve()
    check_model_dir_target(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".new"))
    try:
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes 0700 folders; a model folder is the user's, like any other
        yield staging
        write_manifest(staging)
        fsync_tree(staging)
        check_model_dir_target(target, overwrite)  # again: the folder may have changed while the model trained
        _replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace_folder(new: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")  # a new name: renames on every OS
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old)
    else:
        os.replace(new, target)
    fsync_tree(target.parent, recursive=False)


def read_meta(directory: Path) -> dict[str, Any]:
    verify_manifest(directory)
    meta = read_json(Path(directory) / META_FILE)
    if not isinstance(meta, dict) or not isinstance(meta.get("params", {}), dict):
        raise ModelIntegrityError(f"{Path(directory) / META_FILE}: expected a JSON object with a \"params\" object; "
                                  "restore the model folder or retrain")
    return meta


def load_model(directory: str | Path) -> Any:
    """Load any saved model directory (classifier or summariser), verifying its manifest first.

    Everything a model reads is checked here or by its loader, and a file that does not fit the
    model it is loaded for is a :class:`ModelIntegrityError` (E004) naming the folder or the file.
    """
    directory = Path(directory)
    return model_from_meta(directory, read_meta(directory))


def model_from_meta(directory: Path, meta: dict[str, Any]) -> Any:
    """The model of a folder already verified by :func:`read_meta`, which gave ``meta``."""
    from ..extras import require_for
    from .registry import resolve

    where = directory / META_FILE
    if meta.get("format") != FORMAT_VERSION:
        raise ModelIntegrityError(f"{where}: model format {meta.get('format')!r} is not supported "
                                  f"(expected {FORMAT_VERSION})")
    try:
        cls = resolve(meta.get("name"), where=f"{where}: name")
    except ConfigError as exc:
        raise ModelIntegrityError(str(exc).removeprefix(f"[{ConfigError.code}] ")) from None
    if meta.get("kind") != cls.kind:
        raise ModelKindError(f"{where}: kind {meta.get('kind')!r}, but {meta['name']} is a {cls.kind}; "
                             "restore the model folder or retrain")
    problems = cls.param_problems(meta.get("params", {}))
    if problems:
        raise ModelIntegrityError(f"{where}: the params do not fit {meta['name']}: {problems[0]}; "
                                  "restore the model folder or retrain")
    require_for(cls, f"loading {directory} ({meta['name']})")
    try:
        return cls._from_state(meta, directory)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        if isinstance(exc, MlpkgError):
            raise
        raise ModelIntegrityError(f"{directory}: its files do not fit the model {meta['name']} ({type(exc).__name__}: "
                                  f"{exc}); restore the model folder or retrain") from None
