"""Score a classifier on labelled rows and write its report files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.keywords import keyword_rule
from .metrics import multilabel_metrics, singlelabel_metrics
from .report import (
    errors_html,
    features_html,
    metrics_html,
    plot_confusion,
    plot_label_confusions,
    plot_pr_curves,
    write_report,
)


def score_classifier(model, texts: list[str], y: list, ids: list[str] | None = None, worst: int = 20) -> dict:
    """Metrics plus what the report needs (probabilities, predictions, worst errors)."""
    proba = model.predict_proba(texts)
    pred = model.decide(proba)
    labels = model.labels_
    if model.multi_label_:
        Y, P = model.binarize(y), model.binarize(pred)
        metrics = multilabel_metrics(Y, P, labels)
        wrong = np.flatnonzero((Y != P).any(axis=1))
        # confidence of the wrong call: how far the worst label sits on the wrong side
        cut = np.array([model.thresholds_[label] for label in labels])
        margin = np.where(Y == 1, cut - proba, proba - cut)
        order = wrong[np.argsort(-margin[wrong].max(axis=1))] if len(wrong) else wrong
        severity = margin.max(axis=1)
    else:
        Y = model.binarize(y)
        metrics = singlelabel_metrics(list(y), pred, labels)
        wrong = np.flatnonzero(Y.argmax(axis=1) != proba.argmax(axis=1))
        severity = proba.max(axis=1)
        order = wrong[np.argsort(-severity[wrong])] if len(wrong) else wrong
    errors = [
        {
            "id": ids[i] if ids else i,
            "excerpt": " ".join(texts[i].split())[:300],
            "true": y[i],
            "predicted": pred[i],
            "score": float(severity[i]),
        }
        for i in order[:worst]
    ]
    return {"metrics": metrics, "proba": proba, "Y": Y, "pred": pred, "errors": errors}


def keyword_baseline(texts: list[str], y: list, labels: list[str]) -> dict:
    pred = keyword_rule(texts, labels)
    index = {label: j for j, label in enumerate(labels)}

    def onehot(rows):
        M = np.zeros((len(rows), len(labels)), dtype=int)
        for i, tags in enumerate(rows):
            for t in tags:
                M[i, index[t]] = 1
        return M

    return multilabel_metrics(onehot(y), onehot(pred), labels)


def write_classifier_report(
    out: Path,
    model,
    scored: dict[str, dict],
    extra_tables: dict[str, dict] | None = None,
    title: str = "Evaluation report",
) -> Path:
    """PNG plots per evaluated split and one report.html tying them together."""
    sections = []
    labels = model.labels_
    for name, s in scored.items():
        parts = [metrics_html(s["metrics"], f"{name}: per-label metrics")]
        cm_path = out / f"confusion_{name}.png"
        if model.multi_label_:
            plot_label_confusions(s["Y"], model.binarize(s["pred"]), labels, cm_path, f"{name}: confusion per tag")
            pr_path = plot_pr_curves(
                s["Y"],
                s["proba"],
                labels,
                out / f"pr_curves_{name}.png",
                f"{name}: precision-recall",
                model.thresholds_,
            )
            parts.append(f"<img src='{pr_path.name}' alt='precision-recall curves'>")
        else:
            plot_confusion(np.array(s["metrics"]["confusion_matrix"]), labels, cm_path, f"{name}: confusion matrix")
            pr_path = plot_pr_curves(
                s["Y"], s["proba"], labels, out / f"pr_curves_{name}.png", f"{name}: precision-recall (one-vs-rest)"
            )
            parts.append(f"<img src='{pr_path.name}' alt='precision-recall curves'>")
        parts.append(f"<img src='{cm_path.name}' alt='confusion matrix'>")
        parts.append("<h3>Worst errors</h3>" + errors_html(s["errors"]))
        sections.append((name, "".join(parts)))
    for name, metrics in (extra_tables or {}).items():
        sections.append((name, metrics_html(metrics, name)))
    if hasattr(model, "top_features"):
        sections.append(("Top features per label", features_html(model.top_features(20))))
    return write_report(out / "report.html", title, sections)
