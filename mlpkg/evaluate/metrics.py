"""Classification metrics with counts: per label, micro and macro."""

from __future__ import annotations

import numpy as np


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


def format_table(metrics: dict, title: str = "") -> str:
    """A plain-text table people read in a terminal or a model card (markdown)."""
    lines = [f"**{title}**", ""] if title else []
    lines += ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label, m in metrics["per_label"].items():
        lines.append(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    if "micro" in metrics:
        m = metrics["micro"]
        lines.append(f"| micro avg | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | |")
    if "accuracy" in metrics:
        lines.append(f"| accuracy | | | {metrics['accuracy']:.3f} | {metrics['n']} |")
    m = metrics["macro"]
    lines.append(f"| macro avg | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {metrics['n']} rows |")
    return "\n".join(lines)
