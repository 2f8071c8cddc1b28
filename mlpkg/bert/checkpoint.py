"""Find a pretrained transformers checkpoint and load it safely (never ``trust_remote_code``).

A checkpoint is a local folder or a hub name. The decision is made up front, so an offline
machine gets one clear error at once instead of a retry loop and a traceback from deep inside
``from_pretrained``. torch and transformers are imported inside the functions: ``import mlpkg``
works without them.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..errors import CheckpointNotFoundError

_TRUE = {"1", "on", "yes", "true"}
HOW_TO = (
    "On a machine with internet run `huggingface-cli download {name} --local-dir DIR` (or `hf download ...`), "
    "copy DIR here, and set `model_name_or_path: DIR` in the config (or `--set model.model_name_or_path=DIR`)."
)


@dataclass(frozen=True)
class Checkpoint:
    """Where ``from_pretrained`` reads from, and whether it may touch the network."""

    source: str
    local_files_only: bool


def offline_mode() -> bool:
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def _cached(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    return isinstance(try_to_load_from_cache(name, "config.json"), str)


def _hub_reachable(timeout: float = 3.0) -> bool:
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((url.hostname or "huggingface.co", url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def resolve_checkpoint(name: str) -> Checkpoint:
    """A local folder as is; a hub name when it is cached or the hub answers; else a clear error.

    >>> resolve_checkpoint("/no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    mlpkg.errors.CheckpointNotFoundError: [E005] ...
    """
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise CheckpointNotFoundError(
                f"model_name_or_path {name!r} is a folder but has no config.json: it is not a transformers checkpoint "
                "(expected the files written by save_pretrained: config.json, model.safetensors, tokenizer files)")
        return Checkpoint(str(path), local_files_only=True)
    if _looks_like_path(name):
        raise CheckpointNotFoundError(f"model_name_or_path {name!r} looks like a folder but does not exist. "
                                      + HOW_TO.format(name="indobenchmark/indobert-base-p1"))
    if _cached(name):
        return Checkpoint(name, local_files_only=True)
    if offline_mode():
        raise CheckpointNotFoundError(
            f"checkpoint {name!r} is not a local folder and is not in the Hugging Face cache, and offline mode is on "
            f"(HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE). " + HOW_TO.format(name=name))
    if not _hub_reachable():
        raise CheckpointNotFoundError(
            f"checkpoint {name!r} is not a local folder and the Hugging Face hub cannot be reached from this machine. "
            + HOW_TO.format(name=name))
    return Checkpoint(name, local_files_only=False)


@contextlib.contextmanager
def quiet_transformers():
    """Silence load reports ("classifier weights newly initialised": expected when fine-tuning) and the
    per-file progress bars of loading and saving."""
    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    ckpt = resolve_checkpoint(name)
    with quiet_transformers():
        try:
            return AutoTokenizer.from_pretrained(ckpt.source, local_files_only=ckpt.local_files_only,
                                                 trust_remote_code=False)
        except OSError as exc:
            raise CheckpointNotFoundError(f"cannot load a tokenizer from {name!r}: {exc}") from None


def load_pretrained(model_cls, name: str, **kwargs):
    """``model_cls.from_pretrained`` on a resolved checkpoint, mapping load failures to one error."""
    ckpt = resolve_checkpoint(name)
    with quiet_transformers():
        try:
            return model_cls.from_pretrained(ckpt.source, local_files_only=ckpt.local_files_only,
                                             trust_remote_code=False, **kwargs)
        except OSError as exc:
            raise CheckpointNotFoundError(f"cannot load model weights from {name!r}: {exc}") from None
