"""Linear decision functions and their calibration, stored as plain arrays."""

from __future__ import annotations

import numpy as np
from scipy.special import logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression


class _ScoreColumn(ClassifierMixin, BaseEstimator):
    """A classifier whose decision score is its one input column: hands scores computed elsewhere (out
    of fold) to scikit-learn's calibration."""

    def fit(self, scores: np.ndarray, y: np.ndarray) -> "_ScoreColumn":
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores)[:, 0]

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return self.classes_[(self.decision_function(scores) > 0).astype(int)]


def sigmoid_calibration(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling P(y=1 | s) = sigmoid(a*s + c) of out-of-fold ``scores``: scikit-learn's
    ``CalibratedClassifierCV(method="sigmoid")``, which fits Platt's (1999) targets (N+ + 1) / (N+ + 2)
    and 1 / (N- + 2) instead of 1 and 0, so twenty positives cannot push the curve to certainty.

    >>> a, c = sigmoid_calibration(np.array([-2.0, -1.0, 0.5, 1.0, 2.0]), np.array([0, 0, 1, 0, 1]))
    >>> bool(a > 0)
    True
    """
    X = scores.reshape(-1, 1)
    every_row = np.arange(len(y))  # the scorer is frozen: one split of every row, nothing refitted per fold
    calibrated = CalibratedClassifierCV(FrozenEstimator(_ScoreColumn().fit(X, y)), method="sigmoid",
                                        cv=[(every_row, every_row)]).fit(X, y)
    # a and c read back from the fitted curve at s = 0 and s = 1 (public API only)
    c, at_one = logit(calibrated.predict_proba(np.array([[0.0], [1.0]]))[:, 1])
    return float(at_one - c), float(c)


def fit_platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling with 0/1 targets, as ``tfidf_linear.v1`` was fitted (a registered model keeps its
    calibration; :func:`sigmoid_calibration` is the smoothed one)."""
    if y.min() == y.max():
        return 1.0, 0.0
    lr = LogisticRegression(C=100.0).fit(scores.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def fit_matrix_scaling(scores: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiclass calibration: P(k | s) = softmax(s @ A.T + c)_k, fitted on out-of-fold scores."""
    lr = LogisticRegression(C=10.0, max_iter=5000).fit(scores, y)
    A = np.zeros((n_classes, scores.shape[1]))
    c = np.full(n_classes, -30.0)
    if len(lr.classes_) > 2:
        A[lr.classes_], c[lr.classes_] = lr.coef_, lr.intercept_
    else:  # binary LR gives one row: sigmoid(w.s + b) == softmax([0, w.s + b])
        A[lr.classes_[1]], c[lr.classes_] = lr.coef_[0], (0.0, lr.intercept_[0])
    return A, c
