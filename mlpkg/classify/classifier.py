"""What every text classifier shares: label handling, thresholds, predict on top of probabilities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.utils import Tags

from ..core.estimator import Estimator, Param
from ..errors import DataError
from ..text.normalize import article_text

Labels = Sequence[str] | str
LabelSet = list[str] | tuple[str, ...] | None
Articles = str | Mapping[str, Any] | Iterable[str | Mapping[str, Any]]


def article_inputs(articles: Articles, titles: Sequence[str | None] | None = None) -> list[str]:
    """The model input of each article: title and body joined by :func:`~mlpkg.text.normalize.article_text`.

    >>> article_inputs([{"title": "Koperasi tumbuh", "text": "Anggota bertambah."}])
    ['Koperasi tumbuh\\nAnggota bertambah.']
    >>> article_inputs(["Anggota bertambah."], titles=["Koperasi tumbuh"])
    ['Koperasi tumbuh\\nAnggota bertambah.']
    """
    items = [articles] if isinstance(articles, (str, Mapping)) else list(articles)
    if titles is not None:
        titles = list(titles)
        if len(titles) != len(items):
            raise DataError(f"got {len(items)} articles but {len(titles)} titles")
    texts = []
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            if not isinstance(item.get("text"), str):
                raise DataError(f"article {i + 1}: a record needs a 'text' string; got keys {sorted(item)}")
            item = article_text(item.get("title"), item["text"])
        elif not isinstance(item, str):
            raise DataError(f"article {i + 1}: expected a text or a {{'title', 'text'}} record, "
                            f"got {type(item).__name__}")
        texts.append(article_text(titles[i], item) if titles is not None else item)
    return texts


LABELS = Param((list, tuple, type(None)), None, item=str,
               doc="the label set, in column order (None: the labels seen in y); a 0/1 matrix y needs it")


class Classifier(ClassifierMixin, Estimator):
    """Multi-label when ``fit`` gets lists of tags or a 0/1 matrix, single-label when it gets one class per text.

    A scikit-learn classifier: ``classes_`` are the labels in column order, and multi-label
    :meth:`predict` gives the indicator matrix (what ``GridSearchCV`` scores); :meth:`predict_tags`
    gives tag lists. Subclasses implement ``_fit_texts(texts, Y, groups, dev, known)`` (``Y`` a 0/1
    matrix, one column per label; ``dev`` ``(texts, Y)`` or None, for models that early-stop;
    ``known`` a boolean matrix like ``Y``, False where a tag is undecided for a row, or None when
    every tag is decided) and ``_proba(texts)`` (calibrated probabilities, one column per label).
    """

    kind = "classifier"

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def fit(
        self,
        texts: Iterable[str],
        y: Sequence[Labels] | np.ndarray,
        *,
        groups: Sequence | None = None,
        dev: tuple[Sequence[str], Sequence[Labels]] | None = None,
        undecided: Sequence[Sequence[str]] | None = None,
    ) -> "Classifier":
        """Learn from ``texts`` and their tags (lists, or a 0/1 matrix with a column per entry of
        ``labels``: multi-label) or classes (strings: single-label).

        ``groups`` (optional, one per text) keeps near-copies in one fold wherever a model scores its
        own training rows out of fold (calibration, thresholds). ``dev``: ``(texts, y)`` held out, for
        models that early-stop on it (``uses_dev``); the others ignore it. ``undecided`` (multi-label,
        optional, one list per text): the tags nobody decided for that text (a labels-file decision on
        one tag), which the model leaves out of that tag's fit and calibration instead of learning
        them as negatives.
        """
        self._validate()
        texts = list(texts)
        if len(texts) != len(y):
            raise DataError(f"fit got {len(texts)} texts but {len(y)} labels")
        if _is_indicator(y):
            if self.labels is None or len(self.labels) != np.shape(y)[1]:
                raise DataError(f"a 0/1 label matrix of {np.shape(y)[1]} columns needs labels=[...] naming its "
                                f"columns, got labels={self.labels!r}")
            self.multi_label_, seen = True, list(self.labels)
        else:
            self.multi_label_ = bool(len(y)) and not isinstance(y[0], str)
            seen = sorted({t for tags in y for t in tags}) if self.multi_label_ else sorted(set(y))
        self.classes_ = np.asarray(self.labels if self.labels is not None else seen, dtype=object)
        unknown = sorted(set(seen) - set(self.classes_))
        if unknown:
            raise DataError(f"labels {unknown} are not in the label set {list(self.classes_)}")
        self.thresholds_ = {label: 0.5 for label in self.classes_.tolist()} if self.multi_label_ else {}
        Y = self.binarize(y)
        if groups is not None and len(groups) != len(texts):
            raise DataError(f"fit got {len(texts)} texts but {len(groups)} groups")
        dev_data = (list(dev[0]), self.binarize(dev[1])) if dev is not None and len(dev[0]) else None
        known = None
        if undecided is not None:
            if not self.multi_label_ or len(undecided) != len(texts):
                raise DataError(f"undecided tags need multi-label tags and one list per text, got {len(undecided)} "
                                f"lists for {len(texts)} texts")
            known = ~self.binarize(undecided).astype(bool)
        self._fit_texts(texts, Y, None if groups is None else np.asarray(groups), dev_data, known)
        self.is_fitted_ = True
        return self

    def binarize(self, y: Sequence[Labels] | np.ndarray) -> np.ndarray:
        """Tags (lists), classes (strings) or a 0/1 matrix as a 0/1 matrix, one column per entry of ``classes_``."""
        if _is_indicator(y):
            return np.asarray(y.toarray() if sp.issparse(y) else y, dtype=np.int8)
        index = {label: i for i, label in enumerate(self.classes_)}
        Y = np.zeros((len(y), len(self.classes_)), dtype=np.int8)
        for row, tags in enumerate(y):
            for tag in ([tags] if isinstance(tags, str) else tags):
                Y[row, index[tag]] = 1
        return Y

    def predict_proba(self, articles: Articles, titles: Sequence[str | None] | None = None) -> np.ndarray:
        """Calibrated probabilities, shape (n_articles, n_labels), columns in ``classes_`` order.

        ``articles``: texts, or records ``{"title": ..., "text": ...}`` (title optional), or one of
        either. Title and body are joined as ``mlpkg tag`` joins them, so both score alike; a bare
        text is scored as it is, or with its title from ``titles``.
        """
        self._check_fitted()
        texts = article_inputs(articles, titles)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return self._proba(texts)

    def predict(self, articles: Articles, titles: Sequence[str | None] | None = None) -> np.ndarray:
        """As scikit-learn predicts: multi-label, the 0/1 matrix of tags at the tuned thresholds (columns in
        ``classes_`` order); single-label, one class per article. ``articles`` and ``titles`` as in
        :meth:`predict_proba`; :meth:`predict_tags` gives tag lists."""
        proba = self.predict_proba(articles, titles)
        if self.multi_label_:
            return (proba >= self._cuts()).astype(np.int64)
        return self.classes_[proba.argmax(axis=1)]

    def predict_tags(self, articles: Articles, titles: Sequence[str | None] | None = None) -> list:
        """Tags per article (multi-label, using the tuned thresholds) or one class per article;
        ``articles`` and ``titles`` as in :meth:`predict_proba`."""
        return self.decide(self.predict_proba(articles, titles))

    def decide(self, proba: np.ndarray) -> list:
        """:meth:`predict_tags` of probabilities already computed."""
        labels = self.classes_.tolist()
        if self.multi_label_:
            cut = self._cuts()
            return [[labels[j] for j in np.flatnonzero(row >= cut)] for row in proba]
        return [labels[j] for j in proba.argmax(axis=1)]

    def _cuts(self) -> np.ndarray:
        return np.array([self.thresholds_[label] for label in self.classes_])

    def set_thresholds(self, thresholds: dict[str, float]) -> None:
        self._check_fitted()
        self.thresholds_ = {label: float(thresholds.get(label, 0.5)) for label in self.classes_.tolist()}

    def _classifier_meta(self) -> dict[str, Any]:
        return {"labels": self.classes_.tolist(), "multi_label": self.multi_label_, "thresholds": self.thresholds_}

    def _restore_classifier_meta(self, meta: dict[str, Any]) -> None:
        self.classes_ = np.asarray(meta["labels"], dtype=object)
        self.multi_label_ = bool(meta["multi_label"])
        self.thresholds_ = {k: float(v) for k, v in meta["thresholds"].items()}
        self.is_fitted_ = True


def _is_indicator(y: Any) -> bool:
    """Whether ``y`` is a 0/1 matrix (numpy, scipy sparse or pandas), one column per label."""
    return sp.issparse(y) or getattr(y, "ndim", 1) == 2
