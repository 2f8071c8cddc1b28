"""The estimator contract every classifier and summariser follows.

Hyperparameters are keyword-only constructor arguments stored verbatim (no logic in ``__init__``)
and validated at ``fit`` (and at config load) against a declarative ``params`` table; fitted
state ends in an underscore; every model is a scikit-learn ``BaseEstimator``, so ``get_params``,
``set_params``, :func:`sklearn.base.clone` and ``Pipeline``/``GridSearchCV`` work on it;
``save``/``load`` go through a self-describing model directory (see :mod:`mlpkg.core.directory`).

One fit contract: ``fit(X, y, *, dev=None, ...)`` where ``dev`` is ``(X_dev, y_dev)``, held-out
data the model may early-stop on (``uses_dev``); a model that does not use it ignores it.
Classifiers: ``X`` texts, ``y`` tags or classes (``labels`` is the label set). Summarisers: ``X``
sentence lists, ``y`` per-sentence ``gold`` flags; ``needs_training`` says whether ``fit`` learns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sklearn.base import BaseEstimator
from sklearn.utils import Tags

from ..errors import ModelKindError, NotFittedError, ParameterError, allowed
from .param import Param
from .registry import RegisteredName

Self = TypeVar("Self", bound="Estimator")


class Estimator(BaseEstimator):
    """Base of every registered model: a scikit-learn estimator (``get_params(deep=True)``, ``set_params``,
    :func:`sklearn.base.clone`, ``repr``) plus the ``params`` table, the fitted check and save/load.

    >>> from sklearn.base import clone
    >>> from mlpkg.summarize import LeadSummarizer
    >>> clone(LeadSummarizer(k=2).fit())
    LeadSummarizer(k=2)
    """

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

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # X is texts (classifiers) or sentence lists (summarisers)
        tags.input_tags.string = True
        return tags

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
        return super().set_params(**values)

    def _validate(self) -> None:
        self.validate_params(self.get_params())

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "is_fitted_", False)

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
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
