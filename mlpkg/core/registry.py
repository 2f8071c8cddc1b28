"""Registered model and summariser names, resolved from configs and model folders.

A model registers with the ``@register("name")`` decorator (``mlpkg.register``) on the line above its
class: the name is written once, there, and ``registered_name`` reads it back. Resolving a name imports
the one module that holds it, nothing before:

- mlpkg's own models are found by reading those decorators in the source of ``mlpkg/classify`` and
  ``mlpkg/summarize`` (not importing it), so a source checkout sees a new model without a reinstall;
- another package's models are found through the ``mlpkg.models`` entry-point group (as spaCy and
  catalogue do): ``"acme_tagger.v1" = "acme.models:AcmeTagger"`` in its ``pyproject.toml``; the entry
  point is that class's one registration, it needs no decorator;
- a class decorated in a module already imported (a notebook, a test) resolves as it is.

A registered name never changes meaning: a new behaviour gets a new versioned name
(``tfidf_linear.v2``), so an old config keeps training the model it always did; a name of mlpkg's own
cannot be taken by another class.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, allowed

ENTRY_POINT_GROUP = "mlpkg.models"
MODEL_PACKAGES = ("classify", "summarize")  # where mlpkg's own models live (their source is read, not imported)
_DECORATOR = re.compile(r'^@register\("([^"]+)"\)\nclass (\w+)\b', re.MULTILINE)
_decorated: dict[str, type] = {}  # name -> class, filled as decorated classes are defined

T = TypeVar("T", bound=type)


def register(name: str) -> Callable[[T], T]:
    """Register the decorated class as ``name`` (``model.name`` in a config, ``name`` in ``mlpkg.json``)::

        @mlpkg.register("acme_tagger.v1")
        class AcmeTagger(Classifier):
            ...
    """

    def decorate(cls: T) -> T:
        taken = _builtins().get(name) or (_target(_decorated[name]) if name in _decorated else None)
        if taken not in (None, _target(cls)):
            raise TypeError(f"{_target(cls)}: the name {name!r} is registered to {taken}; a new model gets a new name")
        _decorated[name] = cls
        return cls

    return decorate


class RegisteredName:
    """``Estimator.registered_name``: the name the class itself is registered under (a subclass does not
    inherit it), ``""`` where it is not registered."""

    def __get__(self, obj: object, cls: type) -> str:
        return name_of(cls)


def name_of(cls: type) -> str:
    name = next((n for n, c in _decorated.items() if c is cls), None)
    if name is None:
        name = next((n for n, target in _plugins(tuple(sys.path)).items() if target == _target(cls)), "")
    return name


def registered_names() -> list[str]:
    return sorted({*_builtins(), *_decorated, *_plugins(tuple(sys.path))})


def locate(name: str) -> str | None:
    """``"module:Class"`` registered as ``name``, without importing it (None where nothing is)."""
    if name in _decorated:
        return _target(_decorated[name])
    return _builtins().get(name) or _plugins(tuple(sys.path)).get(name)


def resolve(name: str, where: str = "model.name") -> type:
    """The class registered as ``name`` (its module is imported now, not before)."""
    if name in _decorated:
        return _decorated[name]
    target = locate(name)
    if target is None:
        raise ConfigError(f"{where}: unknown name {name!r}; registered: {allowed(registered_names())}")
    module, _, attr = target.partition(":")
    cls: Any = importlib.import_module(module)
    for part in attr.split("."):
        cls = getattr(cls, part)
    if cls.registered_name != name:
        raise TypeError(f"{target} names itself {cls.registered_name!r}, but is registered as {name!r}")
    return cls


def build_model(model: Mapping[str, Any], seed: int | None = None) -> Any:
    """The one way to build an estimator from a config's ``model`` block (``{"name": ..., **params}``);
    ``seed`` is the run's seed, used where the block sets none and the model takes one."""
    cls = resolve(model["name"])
    params = {k: v for k, v in model.items() if k != "name"}
    if seed is not None and "seed" in cls.params:
        params.setdefault("seed", seed)
    return cls(**params)


def _target(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@cache
def _builtins() -> dict[str, str]:
    """mlpkg's own names, read from the ``@register`` lines of its model packages' source."""
    root = Path(__file__).resolve().parents[1]
    found = {}
    for package in MODEL_PACKAGES:
        for path in sorted((root / package).glob("*.py")):
            module = f"mlpkg.{package}.{path.stem}"
            found |= {name: f"{module}:{cls}" for name, cls in _DECORATOR.findall(path.read_text(encoding="utf-8"))}
    return found


@cache
def _plugins(search_path: tuple[str, ...]) -> dict[str, str]:
    """Names other packages declare in the ``mlpkg.models`` entry-point group (read again when
    ``sys.path``, the places they are installed in, changes)."""
    return {ep.name: f"{ep.module}:{ep.attr}" for ep in entry_points(group=ENTRY_POINT_GROUP)}
