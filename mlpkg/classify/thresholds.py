"""Per-label decision thresholds tuned on held-out scores (shared by every multi-label model).

Three objectives:

- ``f1``: the cut where F1 on the tuning rows peaks;
- ``f1_calibrated``: half the best F1 reached on the tuning rows, as a cut on calibrated
  probabilities. For a calibrated score the F1-optimal cut is F*/2, where F* is the best F1 the
  scores allow (Lipton, Elkan & Naryanaswamy 2014, "Optimal thresholding of classifiers to maximize
  F1 measure"). The peak of an F1 curve on a few dozen positives sits anywhere on a wide plateau
  (out-of-fold koperasi cuts ranged 0.09-0.81 between folds); its height is steady, so the cut is too;
- ``min_precision``: the lowest cut whose precision reaches a floor (the most recall at that precision).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve

from ..errors import ParameterError

OBJECTIVES = ("f1", "f1_calibrated", "min_precision")


def best_threshold(y: np.ndarray, scores: np.ndarray, objective: str = "f1", min_precision: float = 0.9) -> float:
    """The cut that maximises F1; for ``f1_calibrated`` half the F1 that cut reaches (``scores``
    must be calibrated probabilities); or the lowest cut whose precision reaches ``min_precision``
    (the most recall at that precision), falling back to the F1 cut when no cut reaches it.

    >>> best_threshold(np.array([0, 1, 1]), np.array([0.2, 0.6, 0.9]))
    0.4
    >>> best_threshold(np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.7, 0.6, 0.8, 0.9]), "f1_calibrated")
    0.428571
    """
    if objective not in OBJECTIVES:
        raise ParameterError("objective", f"must be one of {OBJECTIVES}, got {objective!r}")
    y = np.asarray(y).astype(bool)
    if not y.any():
        return 0.5
    # one point per distinct score, a cut at or below it; reversed so that ties go to the higher cut
    # (the last point, recall 0 and no cut, is left out)
    precision, recall, cuts = (v[::-1] for v in precision_recall_curve(y, scores, drop_intermediate=False))
    precision, recall = precision[1:], recall[1:]
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    if objective == "f1_calibrated":
        return float(round(f1.max() / 2, 6))
    ok = np.flatnonzero(precision >= min_precision) if objective == "min_precision" else []
    cut = cuts[ok[-1]] if len(ok) else cuts[int(np.argmax(f1))]
    below = scores[scores < cut]
    return float(round((cut + (below.max() if below.size else 0.0)) / 2, 6))  # halfway to the next lower score


def tune_thresholds(Y: np.ndarray, proba: np.ndarray, labels: list[str], objective: str = "f1",
                    min_precision: float = 0.9, min_positives: int = 10,
                    known: np.ndarray | None = None) -> dict[str, float]:
    """One threshold per label column, tuned on the rows where that label is ``known`` (a boolean
    matrix like ``Y``; None: every row): a tag nobody decided for an article is not a negative.

    A label with fewer than ``min_positives`` dev positives keeps 0.5 on the calibrated
    probability: a cut tuned on three or four articles follows their noise (measured on the
    publisher-held-out split: koperasi precision fell from 1.00 to 0.34 with a cut tuned on one).
    So does a label whose column holds NaN (a model that could not score it out of fold).
    """
    out = {}
    for j, label in enumerate(labels):
        rows = known[:, j] if known is not None else slice(None)
        y, p = Y[rows, j], proba[rows, j]
        out[label] = (best_threshold(y, p, objective, min_precision)
                      if y.sum() >= min_positives and not np.isnan(p).any() else 0.5)
    return out
