"""Every error mlpkg raises on purpose, in one place, each with a stable code.

Messages say what was expected and what was found, so a user can fix the input
without reading a traceback. Each class's first docstring line is the meaning that
``mlpkg errors`` and the README's table of codes print.
"""

from __future__ import annotations


class MlpkgError(Exception):
    """Base class; ``code`` is stable across releases so scripts may match on it."""

    code = "E000"

    def __init__(self, message: str):
        super().__init__(f"[{self.code}] {message}")


class ConfigError(MlpkgError, ValueError):
    """A config file, config key or --set override is wrong: the message names the key and what is allowed."""

    code = "E001"


class DataError(MlpkgError, ValueError):
    """A data file is missing, unreadable, or has a bad column, row or value: the message names file, row and field."""

    code = "E002"


class NotFittedError(MlpkgError, RuntimeError):
    """A model was used before fit() or load()."""

    code = "E003"


class ModelIntegrityError(MlpkgError):
    """A model directory whose files do not match its manifest, or that is incomplete: retrain or copy it again."""

    code = "E004"


class CheckpointNotFoundError(MlpkgError, FileNotFoundError):
    """A pretrained checkpoint (model_name_or_path) is neither a local folder nor downloadable."""

    code = "E005"


class ParameterError(MlpkgError, ValueError):
    """A model hyperparameter outside its allowed values: the message names the parameter and what is allowed."""

    code = "E006"

    def __init__(self, param: str, detail: str):
        self.param, self.detail = param, detail
        super().__init__(f"parameter {param!r}: {detail}")


class MissingExtraError(MlpkgError, ImportError):
    """An optional dependency is not installed: the message names the pip extra that brings it."""

    code = "E007"


class LabelsFileError(DataError):
    """A labels file (mlpkg label) has a line that is not a decision: the message names file, line and id."""

    code = "E201"


class UnknownTagError(LabelsFileError):
    """A labels file decides a tag that is not in data.labels: the message names file, line, id and the tags."""

    code = "E202"


class MissingReasonError(LabelsFileError):
    """A decision marked unsure (confidence low) has no reason: the message names file, line and id."""

    code = "E203"


class DuplicateLabelError(LabelsFileError):
    """One article decided twice with different tags (two annotators, two labels files, or data/ and a labels file)."""

    code = "E204"


def error_codes() -> list[tuple[str, str, str]]:
    """(code, class name, meaning) of every error, in code order.

    >>> [code for code, _, _ in error_codes()][:3]
    ['E001', 'E002', 'E003']
    """
    from .batch import errors as _batch_errors  # noqa: F401  (E101-E199: registers the batch job's errors)

    found, todo = [], list(MlpkgError.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found.append((cls.code, cls.__name__, (cls.__doc__ or "").strip().split("\n")[0]))
    return sorted(set(found))


def allowed(values) -> str:
    return ", ".join(repr(v) for v in values)
