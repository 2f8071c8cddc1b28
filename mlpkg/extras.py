"""Optional dependencies, checked before any work starts so that a missing one is named with the
pip extra that brings it instead of surfacing as ``ModuleNotFoundError`` halfway through a run."""

from __future__ import annotations

import importlib.util

from .errors import MissingExtraError

# what each extra of pyproject.toml must bring for the code paths that check it
EXTRA_MODULES = {
    "bert": ("torch", "transformers"),
    "onnx": ("torch", "transformers", "onnx", "onnxruntime"),
    "data": ("ftfy", "openpyxl"),  # mojibake repair and the Excel sources of the data build
    "lightgbm": ("lightgbm",),  # the LightGBM summariser (trained_lgbm.v1)
    "stem": ("Sastrawi",),  # Indonesian stemming (mlpkg.text.stem); the stop words ship with mlpkg
    "track": ("mlflow",),  # MLflow tracking of train, cv and evaluate runs (--track)
}
# the pip extra that installs each group (the ONNX exporter ships with the IndoBERT extra)
PIP_EXTRA = {"bert": "bert", "onnx": "bert", "data": "data", "lightgbm": "lightgbm", "stem": "stem", "track": "track"}


def require(extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtraError` when a module of ``extra`` is not installed.

    >>> require("bert", "IndoBERT fine-tuning")  # doctest: +SKIP
    MissingExtraError: [E007] IndoBERT fine-tuning needs torch, which is not installed: pip install -e '.[bert]'
    """
    missing = [name for name in EXTRA_MODULES[extra] if not _installed(name)]
    if missing:
        raise MissingExtraError(
            f"{purpose} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed: "
            f"pip install -e '.[{PIP_EXTRA[extra]}]' in a checkout (or pip install 'mlpkg[{PIP_EXTRA[extra]}]')"
        )


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a broken install, or a module without a spec
        return False


def require_for(cls: type, purpose: str) -> None:
    """Check the extra a registered model class declares (``extra = "bert"``), if any."""
    if getattr(cls, "extra", None):
        require(cls.extra, purpose)
