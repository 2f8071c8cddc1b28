"""The framework every model uses: estimator contract, registry, model directories."""

from .directory import load_model, model_hash
from .estimator import Estimator, Param

__all__ = ["Estimator", "Param", "load_model", "model_hash"]
