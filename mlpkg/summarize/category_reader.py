"""Each article's category read from its words: a linear model on the words a Batch already hashed.

Where the annotators of IndoSum skip the first sentence depends on the kind of article (teknologi
47%, hiburan 40%, tajuk utama 8%: benchmarks/results/summarizers.md), and raw text does not say
its kind, so ``trained_lgbm.v2`` reads it. Every article is a bag of its content words, hashed and
folded into ``2**18`` buckets (sublinear counts, unit length), taken from the (article, word) columns
the :class:`~mlpkg.summarize.vectorized.Batch` already built for its TF-IDF vectors, so no word is
tokenised or counted twice and no Python runs per word; a multinomial logistic regression
(scikit-learn) learns the categories.

Only the buckets seen in training have weights (the others stay zero under the L2 penalty), so the
reader is three plain arrays and the class names: ``buckets`` (sorted), ``coef`` (classes x
buckets), ``intercept``, ``classes``; no pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import DataError, ModelIntegrityError
from .vectorized import Batch

N_BUCKETS = 2**18
C = 10.0  # weak regularisation, as the TF-IDF reader of benchmarks/summary_levers.py
OUT_OF_FOLD = 4


def _bag(batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(article, bucket, sublinear count 1 + log n) of every content word of every article of ``batch``:
    the batch's own (article, word) columns, so nothing is sorted or counted twice."""
    counts = np.bincount(batch.term_column, minlength=len(batch.column_doc))
    buckets = (batch.column_words & np.uint64(N_BUCKETS - 1)).astype(np.int64)
    return batch.column_doc, buckets, 1.0 + np.log(np.maximum(counts, 1))


def _unit_weights(article: np.ndarray, value: np.ndarray, n_articles: int) -> np.ndarray:
    """``value`` divided by the length of its article's vector of values (0 where an article has none)."""
    norms = np.sqrt(np.bincount(article, weights=value ** 2, minlength=n_articles))
    return value / np.where(norms > 0, norms, 1.0)[article]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


@dataclass
class CategoryReader:
    """A fitted reader: ``probabilities(batch)`` is one row per article, one column per class."""

    buckets: np.ndarray  # int64, sorted: the buckets seen in training
    coef: np.ndarray  # (classes, buckets)
    intercept: np.ndarray  # (classes,)
    classes: np.ndarray  # class names (unicode)

    def __post_init__(self) -> None:
        self._column = np.full(N_BUCKETS, -1, dtype=np.int64)  # bucket -> its weights' column; -1: none
        self._column[self.buckets] = np.arange(len(self.buckets))

    def probabilities(self, batch: Batch) -> np.ndarray:
        article, bucket, value = _bag(batch)
        column = self._column[bucket]
        known = column >= 0  # a word in no training article carries no weight
        article, column = article[known], column[known]
        weight = _unit_weights(article, value[known], len(batch))
        z = np.column_stack([np.bincount(article, weights=weight * row[column], minlength=len(batch))
                             for row in self.coef])
        return _softmax(z + self.intercept)

    @classmethod
    def fit(cls, batches: Sequence[Batch], categories: Sequence[str], seed: int = 0
            ) -> tuple["CategoryReader", np.ndarray]:
        """The reader fitted on every article of ``batches`` (in order), and its out-of-fold probabilities of
        those articles (``OUT_OF_FOLD`` stratified folds): as noisy as what it reads in unseen text."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        labels = np.asarray([str(c) for c in categories])
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise DataError(f"the category reader needs two categories or more; got {classes.tolist()}")
        bags = [_bag(b) for b in batches]
        starts = np.cumsum([0, *(len(b) for b in batches)])
        article = np.concatenate([a + s for (a, _, _), s in zip(bags, starts)])
        buckets, column = np.unique(np.concatenate([b for _, b, _ in bags]), return_inverse=True)
        weight = _unit_weights(article, np.concatenate([v for _, _, v in bags]), int(starts[-1]))
        X = sp.csr_matrix((weight, (article, column.reshape(-1))), shape=(int(starts[-1]), len(buckets)))
        model = LogisticRegression(C=C, max_iter=2000, random_state=seed)
        # a category rarer than the folds is still learned, only its out-of-fold rows see fewer of it
        folds = StratifiedKFold(min(OUT_OF_FOLD, max(2, int(counts.max()))), shuffle=True, random_state=seed)
        try:
            out_of_fold = cross_val_predict(model, X, labels, cv=folds, method="predict_proba")
        except ValueError as exc:  # a training fold with one category left: too few articles of the others
            raise DataError(f"too few articles per category to read them out of fold: "
                            f"{dict(zip(classes.tolist(), counts.tolist()))} ({exc})") from None
        model.fit(X, labels)
        coef, intercept = model.coef_, model.intercept_
        if len(classes) == 2:  # scikit-learn keeps one row for two classes: the second class's log-odds
            coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.r_[0.0, intercept]
        return cls(buckets.astype(np.int64), coef, intercept, model.classes_.astype(str)), out_of_fold

    def arrays(self) -> dict[str, np.ndarray]:
        return {"buckets": self.buckets, "coef": self.coef, "intercept": self.intercept, "classes": self.classes}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], path: Path) -> "CategoryReader":
        """The reader of ``arrays`` (:meth:`arrays`); arrays that do not fit together are a
        :class:`ModelIntegrityError` naming ``path``."""
        missing = sorted({"buckets", "coef", "intercept", "classes"} - set(arrays))
        if missing:
            raise ModelIntegrityError(f"{path}: no {', '.join(missing)} array; retrain the model")
        buckets, coef, intercept, classes = (arrays[k] for k in ("buckets", "coef", "intercept", "classes"))
        problem = None
        if classes.ndim != 1 or classes.dtype.kind != "U" or len(classes) < 2:
            problem = f"classes must be two names or more, got {classes!r}"
        elif buckets.ndim != 1 or buckets.dtype.kind not in "iu" or len(buckets) == 0 or \
                buckets[0] < 0 or buckets[-1] >= N_BUCKETS or np.any(np.diff(buckets) <= 0):
            problem = f"buckets must be increasing integers below {N_BUCKETS}"
        elif coef.shape != (len(classes), len(buckets)) or intercept.shape != (len(classes),):
            problem = (f"coef {coef.shape} and intercept {intercept.shape} do not fit {len(classes)} classes "
                       f"and {len(buckets)} buckets")
        elif not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            problem = "coef and intercept must be finite"
        if problem:
            raise ModelIntegrityError(f"{path}: {problem}; retrain the model")
        return cls(buckets.astype(np.int64), coef.astype(np.float64), intercept.astype(np.float64), classes)
