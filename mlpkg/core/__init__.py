"""The framework every model uses: estimator contract, registry, model directories.

The names below load on first use, so ``mlpkg.core.registry`` (read at config load) does not import
scikit-learn, which :class:`Estimator` subclasses.
"""

from importlib import import_module
from typing import Any

_HOME = {"Estimator": ".estimator", "Param": ".param", "load_model": ".directory", "model_hash": ".directory"}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOME[name], __name__), name)
