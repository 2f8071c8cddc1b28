"""Classification metrics with counts: per label, micro and macro."""

from __future__ import annotations

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

from .tables import render_table


def tag_matrix(y: list, labels: list[str]) -> np.ndarray:
    """0/1 matrix of tag lists, one column per label in ``labels`` order."""
    index = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(y), len(labels)), dtype=int)
    for i, tags in enumerate(y):
        for t in tags:
            Y[i, index[t]] = 1
    return Y


def _rounded(values) -> dict[str, float]:
    return dict(zip(("precision", "recall", "f1"), (round(float(v), 4) for v in values[:3])))


def _per_label(y_true, y_pred, columns: list, labels: list[str]) -> tuple[dict, dict]:
    """Per label (``columns``: the labels as scikit-learn names them) precision, recall, F1, support,
    tp, fp and fn; and the micro and macro averages."""
    scores = precision_recall_fscore_support(y_true, y_pred, labels=columns, average=None, zero_division=0)
    counts = multilabel_confusion_matrix(y_true, y_pred, labels=columns)
    per_label = {}
    for j, label in enumerate(labels):
        (_, fp), (fn, tp) = counts[j].tolist()
        per_label[label] = {**_rounded([s[j] for s in scores]), "support": int(scores[3][j]), "tp": tp, "fp": fp,
                            "fn": fn}
    averages = {average: _rounded(precision_recall_fscore_support(y_true, y_pred, labels=columns, average=average,
                                                                  zero_division=0))
                for average in ("micro", "macro")}
    return per_label, averages


def multilabel_metrics(Y_true: np.ndarray, Y_pred: np.ndarray, labels: list[str]) -> dict:
    """Per-label precision/recall/F1 with support and tp/fp/fn; micro and macro averages."""
    Y_true, Y_pred = np.asarray(Y_true, dtype=int), np.asarray(Y_pred, dtype=int)
    # scikit-learn reads a one-column indicator matrix as a binary target, whose label is its positive class 1
    columns = [1] if len(labels) == 1 else list(range(len(labels)))
    per_label, averages = _per_label(Y_true, Y_pred, columns, labels)
    exact = accuracy_score(Y_true, Y_pred)  # a multi-label row counts when every tag is right
    return {"n": int(len(Y_true)), "per_label": per_label, **averages, "exact_match": round(float(exact), 4)}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """|observed rate - mean probability| over the equal-width probability bins of scikit-learn's
    ``calibration_curve`` (the reliability diagram's), weighted by bin size."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if not len(y):
        return 0.0
    observed, predicted = calibration_curve(y, p, n_bins=bins)
    sizes = np.bincount(np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], p), minlength=bins)
    return float(np.sum(sizes[sizes > 0] * np.abs(observed - predicted)) / len(y))


def singlelabel_metrics(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    per_label, averages = _per_label(y_true, y_pred, labels, labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return {"n": int(cm.sum()), "per_label": per_label, "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
            "macro": averages["macro"], "confusion_matrix": cm.tolist()}


def format_table(metrics: dict, title: str = "", markdown: bool = False) -> str:
    """Per-label metrics as a table for a terminal (plain text) or a model card (``markdown``)."""
    rows = [[label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"])]
            for label, m in metrics["per_label"].items()]
    if "micro" in metrics:
        m = metrics["micro"]
        rows.append(["micro avg", f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", ""])
    if "accuracy" in metrics:
        rows.append(["accuracy", "", "", f"{metrics['accuracy']:.3f}", str(metrics["n"])])
    m = metrics["macro"]
    rows.append(["macro avg", f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{metrics['n']} rows"])
    return render_table(["label", "precision", "recall", "F1", "support"], rows, "lrrrr", title, markdown)


def metrics_by_group(Y_true: np.ndarray, Y_pred: np.ndarray, labels: list[str], groups: list,
                     min_rows: int = 20) -> dict[str, dict]:
    """:func:`multilabel_metrics` of each group's rows (e.g. each publisher), largest group first;
    groups under ``min_rows`` rows are scored together as one last row."""
    groups = np.asarray([str(g) for g in groups], dtype=object)
    names, sizes = np.unique(groups, return_counts=True)
    order = [str(g) for g, n in sorted(zip(names, sizes), key=lambda gs: (-gs[1], gs[0])) if n >= min_rows]
    small = names[sizes < min_rows]
    if len(small):
        rest = f"{len(small)} others, each under {min_rows} articles"
        groups = np.where(np.isin(groups, small), rest, groups)
        order.append(rest)
    return {g: multilabel_metrics(Y_true[groups == g], Y_pred[groups == g], labels) for g in order}
