"""The estimator contract every classifier and summariser follows.

Hyperparameters are keyword-only constructor arguments stored verbatim and validated at
``fit`` (and at config load) against a declarative ``params`` table; fitted state ends in an
underscore; ``save``/``load`` go through a self-describing model directory (see
:mod:`mlpkg.core.directory`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..errors import NotFittedError, ParameterError, allowed


@dataclass(frozen=True)
class Param:
    """One hyperparameter: its type, default, and allowed values or range."""

    kind: type | tuple[type, ...]
    default: Any
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    doc: str = ""
    # extra check of the value's structure: returns what is wrong, or None
    validator: Callable[[Any], str | None] | None = None

    def check(self, name: str, value: Any) -> None:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ParameterError(name, f"expected {names}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ParameterError(name, f"must be one of {allowed(self.choices)}, got {value!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.low is not None and value < self.low:
                raise ParameterError(name, f"must be >= {self.low}, got {value!r}")
            if self.high is not None and value > self.high:
                raise ParameterError(name, f"must be <= {self.high}, got {value!r}")
        if isinstance(value, list) and self.low is not None:
            for v in value:
                if v < self.low:
                    raise ParameterError(name, f"every value must be >= {self.low}, got {value!r}")
        problem = self.validator(value) if self.validator is not None else None
        if problem:
            raise ParameterError(name, problem)


class Estimator:
    """Base of every registered model: parameters, validation, fitted check, save/load."""

    registered_name: ClassVar[str] = ""
    kind: ClassVar[str] = ""  # "classifier" or "summarizer"
    params: ClassVar[dict[str, Param]] = {}
    extra: ClassVar[str | None] = None  # the optional dependency group it needs (mlpkg.extras), if any

    def __init__(self, **kwargs: Any):
        unknown = sorted(set(kwargs) - set(self.params))
        if unknown:
            raise ParameterError(
                unknown[0], f"unknown parameter for {type(self).__name__}; allowed: {allowed(self.params)}"
            )
        for name, spec in self.params.items():
            setattr(self, name, kwargs.get(name, spec.default))

    @classmethod
    def validate_params(cls, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name not in cls.params:
                raise ParameterError(
                    name, f"unknown parameter for {cls.registered_name}; allowed: {allowed(cls.params)}"
                )
            cls.params[name].check(name, value)

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.params}

    def _validate(self) -> None:
        self.validate_params(self.get_params())

    def _check_fitted(self) -> None:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() or load a saved model")

    # --- persistence: subclasses implement the two hooks below ---------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return (json-able metadata, {file name: numpy array or str or bytes})."""
        raise NotImplementedError

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "Estimator":
        raise NotImplementedError

    def save(self, directory: str | Path) -> Path:
        from .directory import save_estimator

        self._check_fitted()
        return save_estimator(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path) -> "Estimator":
        from .directory import load_model

        model = load_model(directory)
        if not isinstance(model, cls):
            raise TypeError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}")
        return model
