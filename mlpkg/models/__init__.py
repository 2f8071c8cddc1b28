"""Registered models (classifiers) and the model-directory loader."""

from pathlib import Path

from . import bert  # noqa: F401
from .base import Estimator, Param
from .classifier import Classifier
from .directory import load_estimator, model_hash
from .tfidf import TfidfClassifier
from .tfidf_lexicon import TfidfLexiconClassifier


def load_model(directory: str | Path) -> Estimator:
    """Load any saved model directory (classifier or summariser), verifying its manifest first."""
    return load_estimator(Path(directory))


__all__ = ["Classifier", "Estimator", "Param", "TfidfClassifier", "TfidfLexiconClassifier", "load_model", "model_hash"]
