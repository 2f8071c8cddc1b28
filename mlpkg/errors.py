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

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = problems or [message]
        super().__init__(message)

    @classmethod
    def listing(cls, problems: list[str]) -> ConfigError:
        """One error for every problem found, so a config with several mistakes is fixed in one pass.

        >>> print(ConfigError.listing(["x.yaml: seed must be of type int, got 'a'", "x.yaml: unknown key 'modle'"]))
        [E001] 2 problems in the config:
          - x.yaml: seed must be of type int, got 'a'
          - x.yaml: unknown key 'modle'
        """
        if len(problems) == 1:
            return cls(problems[0])
        return cls(f"{len(problems)} problems in the config:\n" + "\n".join(f"  - {p}" for p in problems), problems)


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


class OnnxMismatchError(MlpkgError):
    """An ONNX export whose logits disagree with torch: nothing was written, the model directory is unchanged."""

    code = "E008"


class ModelKindError(MlpkgError, TypeError):
    """A model directory holds another kind of model than the one asked for (a summariser loaded as a classifier)."""

    code = "E009"


class TrackingError(MlpkgError, ConnectionError):
    """The MLflow tracking store (--track, tracking.uri) cannot be reached or refused the run: the message names it."""

    code = "E010"


# --- E101-E199: batch jobs (`mlpkg tag`); each says what to do next, usually rerun to resume -----------
RESUMES = "rerun the same command: the chunks already finished are kept and the job resumes"


class OutputNotWritableError(MlpkgError, PermissionError):
    """The output, the rejects or their folders cannot be written (read-only file system, permissions)."""

    code = "E101"


class DiskFullError(MlpkgError, OSError):
    """The disk filled up while writing the output or the rejects: free space, then rerun to resume."""

    code = "E102"


class InputReadError(MlpkgError, OSError):
    """The input cannot be read to its end (a truncated Parquet or gzip file, a vanished file)."""

    code = "E103"


class WorkerDiedError(MlpkgError, RuntimeError):
    """A worker process ended abruptly (killed, out of memory) while tagging a chunk."""

    code = "E104"


class UnfinishedChunksError(MlpkgError, RuntimeError):
    """The engine returned before every chunk was tagged (a lost Ray actor or worker): rerun to resume."""

    code = "E105"


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


class ArticleNotOpenError(LabelsFileError):
    """A decision for an article no longer open on that annotator's screen (decided or handed on): nothing written."""

    code = "E205"


class MlpkgWarning(UserWarning):
    """Base class of mlpkg's warnings; ``code`` (W001...) is stable, the command line prints
    ``mlpkg COMMAND: warning: [CODE] ...`` and goes on."""

    code = "W000"

    def __init__(self, message: str):
        super().__init__(f"[{self.code}] {message}")


class UncalibratedTagWarning(MlpkgWarning):
    """A tag too rare to calibrate out of fold: its probability is the uncalibrated sigmoid and its threshold 0.5."""

    code = "W001"


class LearnedRowsWarning(MlpkgWarning):
    """Rows evaluated are rows the model learned from: their scores are optimistic (mlpkg cv gives out-of-fold ones)."""

    code = "W002"


def error_codes() -> list[tuple[str, str, str]]:
    """(code, class name, meaning) of every error, in code order.

    >>> [code for code, _, _ in error_codes()][:3]
    ['E001', 'E002', 'E003']
    """
    found, todo = [], list(MlpkgError.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found.append((cls.code, cls.__name__, (cls.__doc__ or "").strip().split("\n")[0]))
    return sorted(set(found))


def allowed(values) -> str:
    return ", ".join(repr(v) for v in values)
