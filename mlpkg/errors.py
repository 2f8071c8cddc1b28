"""Every error mlpkg raises on purpose, in one place, each with a stable code.

Messages say what was expected and what was found, so a user can fix the input
without reading a traceback.
"""

from __future__ import annotations


class MlpkgError(Exception):
    """Base class; ``code`` is stable across releases so scripts may match on it."""

    code = "E000"

    def __init__(self, message: str):
        super().__init__(f"[{self.code}] {message}")


class ConfigError(MlpkgError, ValueError):
    code = "E001"


class DataError(MlpkgError, ValueError):
    code = "E002"


class NotFittedError(MlpkgError, RuntimeError):
    code = "E003"


class ModelIntegrityError(MlpkgError):
    """A model directory whose files do not match its manifest, or that is incomplete."""

    code = "E004"


class CheckpointNotFoundError(MlpkgError, FileNotFoundError):
    code = "E005"


class ParameterError(MlpkgError, ValueError):
    """A hyperparameter outside its allowed values; ``param`` names it."""

    code = "E006"

    def __init__(self, param: str, detail: str):
        self.param, self.detail = param, detail
        super().__init__(f"parameter {param!r}: {detail}")


def allowed(values) -> str:
    return ", ".join(repr(v) for v in values)
