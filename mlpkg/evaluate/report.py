"""Reports people read: confusion matrices and precision-recall curves as PNG, one report.html."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from .bootstrap import N_RESAMPLES


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
    from sklearn.calibration import calibration_curve

    from .metrics import expected_calibration_error

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.0, 4.5))
    ax.plot([0, 1], [0, 1], ":", color="grey")
    for j, label in enumerate(labels):
        p, y = proba[:, j], Y_true[:, j]
        observed, predicted = calibration_curve(y, p, n_bins=bins)
        ax.plot(predicted, observed, "o-", label=f"{label} (ECE {expected_calibration_error(y, p, bins):.3f})")
    return _save(plt, fig, ax, path, title, ("predicted probability", "observed rate"), "upper left")


def _ci(intervals: dict | None, label: str, key: str) -> str:
    lo, hi = ((intervals or {}).get(label) or {}).get(key) or (None, None)
    return f"<td class=ci>{lo:.2f}–{hi:.2f}</td>" if lo is not None else "<td></td>"


def metrics_html(metrics: dict, caption: str, intervals: dict | None = None) -> str:
    """Per-label table; with ``intervals`` (:func:`~mlpkg.evaluate.bootstrap.bootstrap_intervals`) a
    95% interval beside precision, recall and F1."""
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{m['precision']:.3f}</td>{_ci(intervals, label, 'precision')}"
        f"<td>{m['recall']:.3f}</td>{_ci(intervals, label, 'recall')}<td>{m['f1']:.3f}</td>"
        f"{_ci(intervals, label, 'f1')}<td>{m['support']}</td></tr>"
        for label, m in metrics["per_label"].items()
    )
    if "micro" in metrics:
        m = metrics["micro"]
        rows += (f"<tr class=avg><td>micro avg</td><td>{m['precision']:.3f}</td><td></td><td>{m['recall']:.3f}</td>"
                 f"<td></td><td>{m['f1']:.3f}</td><td></td><td></td></tr>")
    if "accuracy" in metrics:
        rows += (f"<tr class=avg><td>accuracy</td><td></td><td></td><td></td><td></td><td>{metrics['accuracy']:.3f}"
                 f"</td><td></td><td>{metrics['n']}</td></tr>")
    m = metrics["macro"]
    rows += (f"<tr class=avg><td>macro avg</td><td>{m['precision']:.3f}</td><td></td><td>{m['recall']:.3f}</td><td></td>"
             f"<td>{m['f1']:.3f}</td>{_ci(intervals, 'macro', 'f1')}<td>{metrics['n']}</td></tr>")
    ci = "<th>95% CI</th>" if intervals else "<th></th>"
    note = (f"<p class=note>95% CI: percentile bootstrap over articles ({N_RESAMPLES:,} resamples, seed 0). A wide "
            "interval means the support is too small to tell the figure from luck.</p>") if intervals else ""
    return (
        f"<table><caption>{html.escape(caption)}</caption><tr><th>label</th><th>precision</th>{ci}<th>recall</th>"
        f"{ci}<th>F1</th>{ci}<th>support</th></tr>{rows}</table>{note}"
    )


def table_html(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def key_value_html(rows: list[tuple[str, str]], caption: str = "") -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table class=kv><caption>{html.escape(caption)}</caption>{body}</table>"


WRONG_CALL = (
    "<p class=note><b>Confidence of the wrong call</b>: the probability of the class the classifier wrongly "
    "chose. Rows are sorted by it, worst first.</p>"
)


def _errors_table(errors: list[dict], score: str) -> str:
    def tags(value) -> str:
        return html.escape(", ".join(value) if isinstance(value, list) else value) or "<i>none</i>"

    rows = "".join(
        f"<tr><td class=title>{html.escape(e['title'])}</td><td class=excerpt>{html.escape(e['excerpt'])}</td>"
        f"<td class=tags>{tags(e['true'])}</td><td class=tags>{tags(e['predicted'])}</td><td>{e['score']:.2f}</td>"
        f"<td class=id>{html.escape(str(e['id']))}</td></tr>"
        for e in errors
    )
    return (
        "<table class=errors><tr><th class=title>title</th><th class=excerpt>excerpt</th><th class=tags>true</th>"
        f"<th class=tags>predicted</th><th class=score>{score}</th><th class=id>id</th></tr>{rows}</table>"
    )


def errors_html(errors: list[dict]) -> str:
    """A single-label classifier's worst errors, one list."""
    return _errors_table(errors, "confidence of the wrong call") + WRONG_CALL


TAG_ERRORS = (
    "<p class=note>Per tag, two lists. <b>Misses</b>: articles that carry the tag, scored under its threshold; "
    "the score is the threshold minus the tag's probability (0.40: a confident miss, 0.02: a near one). "
    "<b>False alarms</b>: articles given the tag without carrying it; the score is the probability minus the "
    "threshold. Worst first. A row without a title shows its first sentence as the title.</p>"
)


def tag_errors_html(errors: dict[str, dict[str, list[dict]]]) -> str:
    """A tagger's worst misses and worst false alarms per tag (:func:`mlpkg.classify.evaluation.score_classifier`)."""
    parts = []
    for tag, lists in errors.items():
        for key, what in (("misses", "worst misses"), ("false_alarms", "worst false alarms")):
            body = (_errors_table(lists[key], "below the threshold" if key == "misses" else "above the threshold")
                    if lists[key] else "<p class=note>none</p>")
            parts.append(f"<h4>{html.escape(tag)}: {what} ({len(lists[key])})</h4>{body}")
    return "".join(parts) + TAG_ERRORS


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
td.ci{color:#555;font-size:small;white-space:nowrap}.note{color:#444;font-size:small;max-width:900px}
table.errors{table-layout:fixed;width:100%}table.errors .title{width:22%}table.errors .excerpt{width:42%}
table.errors .tags{width:9%;overflow-wrap:anywhere}table.errors .score{width:9%;font-size:small}
table.errors .id{width:8%;font-size:x-small;color:#777;overflow-wrap:anywhere}table.kv th{width:10em}
.feats{display:flex;flex-wrap:wrap;gap:1em}.feat{min-width:200px}small{color:#777}
.warn{color:#a00;font-weight:bold;max-width:900px}"""


def write_report(path: Path, title: str, sections: list[tuple[str, str]]) -> Path:
    body = "".join(f"<h2>{html.escape(h)}</h2>{content}" for h, content in sections)
    path.write_text(
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        encoding="utf-8",
    )
    return path
