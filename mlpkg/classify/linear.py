"""Linear decision functions and their calibration, stored as plain arrays."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def fit_platt(scores: np.ndarray, y: np.ndarray, smooth: bool = False) -> tuple[float, float]:
    """Platt scaling: P(y=1 | s) = sigmoid(a*s + b), fitted on out-of-fold scores.

    ``smooth`` uses Platt's (1999) targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2) instead of 1 and 0,
    so twenty positives cannot push the curve to certainty (each row enters twice, once per
    class, weighted by its target).
    """
    if y.min() == y.max():
        return 1.0, 0.0
    X = scores.reshape(-1, 1)
    if not smooth:
        lr = LogisticRegression(C=100.0).fit(X, y)
    else:
        pos, neg = int(y.sum()), int(len(y) - y.sum())
        target = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))
        lr = LogisticRegression(C=100.0).fit(
            np.vstack([X, X]), np.r_[np.ones(len(y)), np.zeros(len(y))], sample_weight=np.r_[target, 1 - target]
        )
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
