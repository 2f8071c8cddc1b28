"""Classification metrics with counts: per label, micro and macro."""

from __future__ import annotations

import numpy as np

from .tables import render_table


def tag_matrix(y: list, labels: list[str]) -> np.ndarray:
    """0/1 matrix of tag lists, one column per label in ``labels`` order."""
    index = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(y), len(labels)), dtype=int)
    for i, tags in enumerate(y):
        for t in tags:
            Y[i, index[t]] = 1
    return Y


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def multilabel_metrics(Y_true: np.ndarray, Y_pred: np.ndarray, labels: list[str]) -> dict:
    """Per-label precision/recall/F1 with support and tp/fp/fn; micro and macro averages."""
    per_label = {}
    totals = np.zeros(3, dtype=int)
    for j, label in enumerate(labels):
        t, p = Y_true[:, j].astype(bool), Y_pred[:, j].astype(bool)
        tp, fp, fn = int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())
        totals += (tp, fp, fn)
        per_label[label] = {**_prf(tp, fp, fn), "support": int(t.sum()), "tp": tp, "fp": fp, "fn": fn}
    macro = {k: round(float(np.mean([m[k] for m in per_label.values()])), 4) for k in ("precision", "recall", "f1")}
    exact = float((Y_true.astype(bool) == Y_pred.astype(bool)).all(axis=1).mean()) if len(Y_true) else 0.0
    return {"n": int(len(Y_true)), "per_label": per_label, "micro": _prf(*totals), "macro": macro,
            "exact_match": round(exact, 4)}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """|observed rate - mean probability| over equal-width probability bins, weighted by bin size."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if not len(y):
        return 0.0
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(y[inside].mean() - p[inside].mean())
    return float(total / len(y))


def singlelabel_metrics(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    index = {label: i for i, label in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[index[t], index[p]] += 1
    per_label = {}
    for i, label in enumerate(labels):
        tp, fp, fn = int(cm[i, i]), int(cm[:, i].sum() - cm[i, i]), int(cm[i, :].sum() - cm[i, i])
        per_label[label] = {**_prf(tp, fp, fn), "support": int(cm[i].sum()), "tp": tp, "fp": fp, "fn": fn}
    macro = {k: round(float(np.mean([m[k] for m in per_label.values()])), 4) for k in ("precision", "recall", "f1")}
    return {"n": int(cm.sum()), "per_label": per_label, "accuracy": round(float(np.trace(cm) / max(cm.sum(), 1)), 4),
            "macro": macro, "confusion_matrix": cm.tolist()}


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
