"""Registered models (classifiers) and the model-directory loader.

The model classes are imported on first use (``from mlpkg.models import TfidfClassifier`` works as
before), so that loading one model imports that model's code only: a tagging worker with a TF-IDF
model never imports torch, nltk or the summarisers.
"""

from importlib import import_module
from pathlib import Path

from .base import Estimator, Param
from .classifier import Classifier
from .directory import load_estimator, model_hash

_LAZY = {"TfidfClassifier": ".tfidf", "TfidfLexiconClassifier": ".tfidf_lexicon"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_model(directory: str | Path) -> Estimator:
    """Load any saved model directory (classifier or summariser), verifying its manifest first."""
    return load_estimator(Path(directory))


__all__ = ["Classifier", "Estimator", "Param", "TfidfClassifier", "TfidfLexiconClassifier", "load_model", "model_hash"]
