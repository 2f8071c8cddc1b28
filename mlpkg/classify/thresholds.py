"""Per-label decision thresholds tuned on a dev split (shared by every multi-label model)."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

OBJECTIVES = ("f1", "min_precision")


def best_threshold(y: np.ndarray, scores: np.ndarray, objective: str = "f1", min_precision: float = 0.9) -> float:
    """The cut that maximises F1, or the lowest cut whose precision reaches ``min_precision``
    (the most recall at that precision). Falls back to the F1 cut when no cut reaches it.

    >>> best_threshold(np.array([0, 1, 1]), np.array([0.2, 0.6, 0.9]))
    0.4
    """
    if objective not in OBJECTIVES:
        raise ParameterError("objective", f"must be one of {OBJECTIVES}, got {objective!r}")
    y = np.asarray(y).astype(bool)
    if not y.any():
        return 0.5
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order]
    tp = np.cumsum(t)
    fp = np.cumsum(~t)
    last = np.r_[s[1:] != s[:-1], True]  # cut only between distinct scores
    precision = (tp / (tp + fp))[last]
    recall = (tp / t.sum())[last]
    cuts = s[last]
    nxt = np.r_[s[last][1:], 0.0]
    midpoints = (cuts + nxt) / 2  # place the cut halfway to the next lower score
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    if objective == "min_precision":
        ok = np.flatnonzero(precision >= min_precision)
        if ok.size:
            return float(round(midpoints[ok[-1]], 6))
    return float(round(midpoints[int(np.argmax(f1))], 6))


def tune_thresholds(Y: np.ndarray, proba: np.ndarray, labels: list[str], objective: str = "f1",
                    min_precision: float = 0.9, min_positives: int = 10) -> dict[str, float]:
    """One threshold per label column.

    A label with fewer than ``min_positives`` dev positives keeps 0.5 on the calibrated
    probability: a cut tuned on three or four articles follows their noise (measured on the
    publisher-held-out split: koperasi precision fell from 1.00 to 0.34 with a cut tuned on one).
    """
    return {label: best_threshold(Y[:, j], proba[:, j], objective, min_precision)
            if Y[:, j].sum() >= min_positives else 0.5 for j, label in enumerate(labels)}
