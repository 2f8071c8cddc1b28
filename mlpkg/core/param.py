"""One hyperparameter's declaration: type, default, allowed values; :meth:`Param.check` says what is wrong.

Its own module, apart from :mod:`.estimator`, so that what validates options (config load, the batch
job) does not import scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError, allowed


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
