"""Reports people read: confusion matrices and precision-recall curves as PNG, one report.html."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(matrix: np.ndarray, labels: list[str], path: Path, title: str) -> Path:
    plt = _plt()
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(labels), 1.0 + 0.8 * len(labels)))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    top = matrix.max() or 1
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_label_confusions(Y_true: np.ndarray, Y_pred: np.ndarray, labels: list[str], path: Path, title: str) -> Path:
    """Multi-label: one 2x2 matrix (no / yes) per tag, side by side."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(labels), figsize=(3.0 * len(labels), 3.0))
    for ax, j, label in zip(np.atleast_1d(axes), range(len(labels)), labels):
        t, p = Y_true[:, j].astype(bool), Y_pred[:, j].astype(bool)
        m = np.array([[(~t & ~p).sum(), (~t & p).sum()], [(t & ~p).sum(), (t & p).sum()]])
        ax.imshow(np.log1p(m), cmap="Blues")
        dark = np.log1p(m.max()) / 2
        for (i, k), v in np.ndenumerate(m):
            ax.text(k, i, str(v), ha="center", va="center", color="white" if np.log1p(v) > dark else "black")
        ax.set_xticks([0, 1], ["no", "yes"])
        ax.set_yticks([0, 1], ["no", "yes"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(label)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_pr_curves(
    Y_true: np.ndarray,
    proba: np.ndarray,
    labels: list[str],
    path: Path,
    title: str,
    thresholds: dict[str, float] | None = None,
) -> Path:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for j, label in enumerate(labels):
        y = Y_true[:, j]
        if y.sum() == 0:
            continue
        prec, rec, cuts = precision_recall_curve(y, proba[:, j])
        ap = average_precision_score(y, proba[:, j])
        (line,) = ax.plot(rec, prec, label=f"{label} (AP {ap:.2f}, n={int(y.sum())})")
        if thresholds and label in thresholds and len(cuts):
            k = min(np.searchsorted(cuts, thresholds[label]), len(cuts) - 1)
            ax.plot(rec[k], prec[k], "o", color=line.get_color())
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    return _save(plt, fig, ax, path, title, ("recall", "precision"), "lower left")


def _save(plt, fig, ax, path: Path, title: str, axes: tuple[str, str], legend: str) -> Path:
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1])
    ax.set_title(title)
    ax.legend(loc=legend, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_reliability(Y_true: np.ndarray, proba: np.ndarray, labels: list[str], path: Path, title: str,
                     bins: int = 10) -> Path:
    """Observed rate of each tag per probability bin against the bin's mean probability (the
    diagonal is perfect calibration); the expected calibration error (ECE) is in the legend."""
    from .metrics import expected_calibration_error

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.0, 4.5))
    ax.plot([0, 1], [0, 1], ":", color="grey")
    for j, label in enumerate(labels):
        p, y = proba[:, j], Y_true[:, j]
        which = np.minimum((p * bins).astype(int), bins - 1)
        used = [b for b in range(bins) if (which == b).any()]
        xs = [p[which == b].mean() for b in used]
        ys = [y[which == b].mean() for b in used]
        ax.plot(xs, ys, "o-", label=f"{label} (ECE {expected_calibration_error(y, p):.3f})")
    return _save(plt, fig, ax, path, title, ("predicted probability", "observed rate"), "upper left")


def metrics_html(metrics: dict, caption: str) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td>"
        f"<td>{m['f1']:.3f}</td><td>{m['support']}</td></tr>"
        for label, m in metrics["per_label"].items()
    )
    if "micro" in metrics:
        m = metrics["micro"]
        rows += f"<tr class=avg><td>micro avg</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td><td>{m['f1']:.3f}</td><td></td></tr>"
    if "accuracy" in metrics:
        rows += f"<tr class=avg><td>accuracy</td><td></td><td></td><td>{metrics['accuracy']:.3f}</td><td>{metrics['n']}</td></tr>"
    m = metrics["macro"]
    rows += f"<tr class=avg><td>macro avg</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td><td>{m['f1']:.3f}</td><td>{metrics['n']}</td></tr>"
    return (
        f"<table><caption>{html.escape(caption)}</caption><tr><th>label</th><th>precision</th><th>recall</th>"
        f"<th>F1</th><th>support</th></tr>{rows}</table>"
    )


def errors_html(errors: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(e['id']))}</td><td>{html.escape(e['excerpt'])}</td><td>{html.escape(', '.join(e['true']) if isinstance(e['true'], list) else e['true'])}</td>"
        f"<td>{html.escape(', '.join(e['predicted']) if isinstance(e['predicted'], list) else e['predicted'])}</td><td>{e['score']:.2f}</td></tr>"
        for e in errors
    )
    return (
        "<table><tr><th>id</th><th>excerpt</th><th>true</th><th>predicted</th><th>confidence of the wrong call</th></tr>"
        f"{rows}</table>"
    )


def features_html(top: dict[str, list[tuple[str, float]]]) -> str:
    cells = "".join(
        f"<div class=feat><h4>{html.escape(label)}</h4><ol>"
        + "".join(f"<li>{html.escape(f)} <small>{w:+.2f}</small></li>" for f, w in feats)
        + "</ol></div>"
        for label, feats in top.items()
    )
    return f"<div class=feats>{cells}</div>"


STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
caption{font-weight:bold;text-align:left}tr.avg{background:#f3f3f3}img{max-width:100%;margin:0.5em 0}
.feats{display:flex;flex-wrap:wrap;gap:1em}.feat{min-width:200px}small{color:#777}"""


def write_report(path: Path, title: str, sections: list[tuple[str, str]]) -> Path:
    body = "".join(f"<h2>{html.escape(h)}</h2>{content}" for h, content in sections)
    path.write_text(
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        encoding="utf-8",
    )
    return path
