"""Registered model and summariser names, resolved from configs.

A registered name never changes meaning: a new behaviour gets a new versioned name
(``tfidf_linear.v2``), so an old config keeps training the model it always did.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import ConfigError, allowed

_REGISTRY: dict[str, type] = {}


def register(name: str) -> Callable[[type], type]:
    def deco(cls: type) -> type:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"{name!r} is already registered to {_REGISTRY[name].__name__}")
        cls.registered_name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators. The torch-based models register
    # too, but import torch only when used, so this stays cheap.
    from . import models, summarize  # noqa: F401


def registered_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def resolve(name: str, where: str = "model.name") -> type:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"{where}: unknown name {name!r}; registered: {allowed(sorted(_REGISTRY))}") from None
