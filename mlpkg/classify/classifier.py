"""What every text classifier shares: label handling, thresholds, predict on top of probabilities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.estimator import Estimator
from ..errors import DataError
from ..text.normalize import article_text

Labels = Sequence[str] | str
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


class Classifier(Estimator):
    """Multi-label when ``fit`` gets lists of tags, single-label when it gets one class per text.

    Subclasses implement ``_fit_texts(texts, Y, groups, dev, known)`` (``Y`` a 0/1 matrix, one column
    per label; ``dev`` ``(texts, Y)`` or None, for models that early-stop; ``known`` a boolean matrix
    like ``Y``, False where a tag is undecided for a row, or None when every tag is decided) and
    ``_proba(texts)`` (calibrated probabilities, one column per label).
    """

    kind = "classifier"

    def fit(
        self,
        texts: Iterable[str],
        y: Sequence[Labels],
        *,
        labels: Sequence[str] | None = None,
        groups: Sequence | None = None,
        dev: tuple[Sequence[str], Sequence[Labels]] | None = None,
        undecided: Sequence[Sequence[str]] | None = None,
    ) -> "Classifier":
        """Learn from ``texts`` and their tags (lists: multi-label) or classes (strings: single-label).

        ``labels``: the label set (default: the labels seen in ``y``). ``groups`` (optional, one per
        text) keeps near-copies in one fold wherever a model scores its own training rows out of
        fold (calibration, thresholds). ``dev``: ``(texts, y)`` held out, for models that early-stop
        on it (``uses_dev``); the others ignore it. ``undecided`` (multi-label, optional, one list per
        text): the tags nobody decided for that text (a labels-file decision on one tag), which the
        model leaves out of that tag's fit and calibration instead of learning them as negatives.
        """
        self._validate()
        texts = list(texts)
        if len(texts) != len(y):
            raise DataError(f"fit got {len(texts)} texts but {len(y)} labels")
        self.multi_label_ = bool(len(y)) and not isinstance(y[0], str)
        seen = sorted({t for tags in y for t in tags}) if self.multi_label_ else sorted(set(y))
        self.labels_ = list(labels) if labels is not None else seen
        unknown = sorted(set(seen) - set(self.labels_))
        if unknown:
            raise DataError(f"labels {unknown} are not in the label set {self.labels_}")
        self.thresholds_ = {label: 0.5 for label in self.labels_} if self.multi_label_ else {}
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

    def binarize(self, y: Sequence[Labels]) -> np.ndarray:
        index = {label: i for i, label in enumerate(self.labels_)}
        Y = np.zeros((len(y), len(self.labels_)), dtype=np.int8)
        for row, tags in enumerate(y):
            for tag in ([tags] if isinstance(tags, str) else tags):
                Y[row, index[tag]] = 1
        return Y

    def predict_proba(self, articles: Articles, titles: Sequence[str | None] | None = None) -> np.ndarray:
        """Calibrated probabilities, shape (n_articles, n_labels), columns in ``labels_`` order.

        ``articles``: texts, or records ``{"title": ..., "text": ...}`` (title optional), or one of
        either. Title and body are joined as ``mlpkg tag`` joins them, so both score alike; a bare
        text is scored as it is, or with its title from ``titles``.
        """
        self._check_fitted()
        texts = article_inputs(articles, titles)
        if not texts:
            return np.zeros((0, len(self.labels_)))
        return self._proba(texts)

    def predict(self, articles: Articles, titles: Sequence[str | None] | None = None) -> list:
        """Tags per article (multi-label, using the tuned thresholds) or one class per article;
        ``articles`` and ``titles`` as in :meth:`predict_proba`."""
        return self.decide(self.predict_proba(articles, titles))

    def decide(self, proba: np.ndarray) -> list:
        if self.multi_label_:
            cut = np.array([self.thresholds_[label] for label in self.labels_])
            return [[self.labels_[j] for j in np.flatnonzero(row >= cut)] for row in proba]
        return [self.labels_[j] for j in proba.argmax(axis=1)]

    def set_thresholds(self, thresholds: dict[str, float]) -> None:
        self._check_fitted()
        self.thresholds_ = {label: float(thresholds.get(label, 0.5)) for label in self.labels_}

    def _classifier_meta(self) -> dict[str, Any]:
        return {"labels": self.labels_, "multi_label": self.multi_label_, "thresholds": self.thresholds_}

    def _restore_classifier_meta(self, meta: dict[str, Any]) -> None:
        self.labels_ = list(meta["labels"])
        self.multi_label_ = bool(meta["multi_label"])
        self.thresholds_ = {k: float(v) for k, v in meta["thresholds"].items()}
        self.is_fitted_ = True
