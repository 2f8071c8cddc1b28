"""The estimator contract every classifier and summariser follows.

Hyperparameters are keyword-only constructor arguments stored verbatim (no logic in ``__init__``)
and validated at ``fit`` (and at config load) against a declarative ``params`` table; fitted
state ends in an underscore; ``get_params``/``set_params``/:func:`clone` work on every model;
``save``/``load`` go through a self-describing model directory (see :mod:`mlpkg.core.directory`).

One fit contract: ``fit(X, y, *, dev=None, ...)`` where ``dev`` is ``(X_dev, y_dev)``, held-out
data the model may early-stop on (``uses_dev``); a model that does not use it ignores it.
Classifiers: ``X`` texts, ``y`` tags or classes (``labels`` is the label set). Summarisers: ``X``
sentence lists, ``y`` per-sentence ``gold`` flags; ``needs_training`` says whether ``fit`` learns.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..errors import ModelKindError, NotFittedError, ParameterError, allowed
from .registry import RegisteredName


@dataclass(frozen=True)
class Param:
    """One hyperparameter: its type, default, and allowed values or range.

    >>> Param(list, [1, 2], low=1, item=int, lengths=(2,), ascending=True).check("word_ngrams", [3, 1])
    Traceback (most recent call last):
    mlpkg.errors.ParameterError: [E006] parameter 'word_ngrams': must be a list of 2 ints, each >= 1, ... got [3, 1]
    """

    types: type | tuple[type, ...]  # the accepted Python type(s)
    default: Any
    choices: tuple | None = None
    low: float | None = None  # for a list: the bound of every element
    high: float | None = None
    doc: str = ""
    # extra check of the value's structure: returns what is wrong, or None
    validator: Callable[[Any], str | None] | None = None
    exclusive_low: bool = False  # ``low`` itself is not allowed
    item: type | None = None  # a list's element type
    lengths: tuple[int, ...] | None = None  # a list's allowed lengths
    ascending: bool = False  # a list's elements in ascending order (a [min, max] range)

    def check(self, name: str, value: Any) -> None:
        kinds = self.types if isinstance(self.types, tuple) else (self.types,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ParameterError(name, f"expected {names}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ParameterError(name, f"must be one of {allowed(self.choices)}, got {value!r}")
        if isinstance(value, (list, tuple)):
            if not self._list_ok(value):
                raise ParameterError(name, f"must be {self._list_rule()}, got {value!r}")
        elif _is_number(value) and not self._in_range(value):
            raise ParameterError(name, f"must be {self._range()}, got {value!r}")
        problem = self.validator(value) if self.validator is not None else None
        if problem:
            raise ParameterError(name, problem)

    def _in_range(self, value: float) -> bool:
        above = self.low is None or value > self.low or (value == self.low and not self.exclusive_low)
        return above and (self.high is None or value <= self.high)

    def _range(self) -> str:
        bounds = [] if self.low is None else [f"{'>' if self.exclusive_low else '>='} {self.low}"]
        return " and ".join(bounds + ([] if self.high is None else [f"<= {self.high}"]))

    def _list_ok(self, value: list | tuple) -> bool:
        return ((self.lengths is None or len(value) in self.lengths)
                and (self.item is None or all(isinstance(v, self.item) and not isinstance(v, bool) for v in value))
                and all(_is_number(v) and self._in_range(v) for v in value if self._range())
                and (not self.ascending or list(value) == sorted(value)))

    def _list_rule(self) -> str:
        count = "" if self.lengths is None else " or ".join(map(str, self.lengths)) + " "
        rule = f"a list of {count}{self.item.__name__ if self.item else 'value'}s"
        if self._range():
            rule += f", each {self._range()}"
        return rule + (", in ascending order" if self.ascending else "")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


Self = TypeVar("Self", bound="Estimator")


def clone(model: Self) -> Self:
    """A new, unfitted model with the same hyperparameters (deep-copied).

    >>> from mlpkg.summarize import LeadSummarizer
    >>> clone(LeadSummarizer(k=2).fit()).get_params() == LeadSummarizer(k=2).get_params()
    True
    """
    return type(model)(**copy.deepcopy(model.get_params()))


class Estimator:
    """Base of every registered model: parameters, validation, fitted check, save/load."""

    registered_name = RegisteredName()  # the @register name of the class itself
    kind: ClassVar[str] = ""  # "classifier" or "summarizer" (stored as "kind" in mlpkg.json)
    params: ClassVar[dict[str, Param]] = {}
    extra: ClassVar[str | None] = None  # the optional dependency group it needs (mlpkg.extras), if any
    uses_dev: ClassVar[bool] = False  # fit(..., dev=(X, y)) early-stops on dev; otherwise dev is ignored

    @classmethod
    def param_problems(cls, values: dict[str, Any]) -> list[ParameterError]:
        """Every parameter of ``values`` that is unknown or outside its allowed values, not only the first."""
        problems = []
        for name, value in values.items():
            try:
                if name not in cls.params:
                    raise ParameterError(
                        name, f"unknown parameter for {cls.registered_name}; allowed: {allowed(cls.params)}"
                    )
                cls.params[name].check(name, value)
            except ParameterError as exc:
                problems.append(exc)
        return problems

    @classmethod
    def validate_params(cls, values: dict[str, Any]) -> None:
        problems = cls.param_problems(values)
        if problems:
            raise problems[0]

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, as passed to ``__init__``."""
        return {name: getattr(self, name) for name in self.params}

    def set_params(self, **values: Any) -> Self:
        """Change hyperparameters (validated at the next ``fit``); an unknown name is a :class:`ParameterError`.

        >>> from mlpkg.summarize import LeadSummarizer
        >>> LeadSummarizer(k=2).set_params(k=4).get_params()["k"]
        4
        """
        for name in values:
            if name not in self.params:
                raise ParameterError(
                    name, f"unknown parameter for {type(self).__name__}; allowed: {allowed(self.params)}"
                )
        for name, value in values.items():
            setattr(self, name, value)
        return self

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

    def _write_files(self, folder: Path) -> None:
        """Write the model's files into the fresh ``folder`` being saved (a model with more files, such as
        a transformers checkpoint, writes them and then calls this)."""
        from .directory import write_estimator_files

        write_estimator_files(self, folder)

    def save(self, directory: str | Path) -> Path:
        """Write the model folder: a fresh folder renamed into place, replacing a previous model there
        (a folder that holds something else is refused; see :func:`~mlpkg.core.directory.new_model_dir`)."""
        from .directory import write_model_dir

        return write_model_dir(directory, self)

    @classmethod
    def load(cls, directory: str | Path) -> "Estimator":
        from .directory import load_model

        model = load_model(directory)
        if not isinstance(model, cls):
            raise ModelKindError(f"{directory} holds a {type(model).__name__}, not a {cls.__name__}")
        return model
