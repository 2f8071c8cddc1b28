"""Score a classifier on labelled rows and write its report files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.keywords import keyword_rule
from .metrics import multilabel_metrics, singlelabel_metrics, tag_matrix
from .report import (
    errors_html,
    features_html,
    metrics_html,
    plot_confusion,
    plot_label_confusions,
    plot_pr_curves,
    plot_reliability,
    write_report,
)


def score_classifier(model, texts: list[str], y: list, ids: list[str] | None = None, worst: int = 20) -> dict:
    """Metrics plus what the report needs (probabilities, predictions, worst errors)."""
    proba = model.predict_proba(texts)
    pred = model.decide(proba)
    labels = model.labels_
    if model.multi_label_:
        # confidence of a wrong call: how far the worst label sits on the wrong side of its cut
        cut = np.tile([model.thresholds_[label] for label in labels], (len(texts), 1))
        return _scored(model.binarize(y), proba, model.binarize(pred), cut, labels, texts, ids, worst)
    Y = model.binarize(y)
    metrics = singlelabel_metrics(list(y), pred, labels)
    wrong = np.flatnonzero(Y.argmax(axis=1) != proba.argmax(axis=1))
    severity = proba.max(axis=1)
    order = wrong[np.argsort(-severity[wrong])] if len(wrong) else wrong
    errors = [_error_row(i, ids, texts, y[i], pred[i], severity[i]) for i in order[:worst]]
    return {"metrics": metrics, "proba": proba, "Y": Y, "pred": pred, "errors": errors}


def scored_from_cv(cv: dict, data, labels: list[str], worst: int = 20) -> dict:
    """What the report needs, from out-of-fold predictions (each row's own fold thresholds)."""
    return _scored(cv["Y"], cv["proba"], cv["pred"], cv["cut"], labels, data.texts, data.ids, worst,
                   metrics=cv["pooled"])


def _scored(Y, proba, P, cut, labels, texts, ids, worst, metrics=None) -> dict:
    metrics = metrics or multilabel_metrics(Y, P, labels)
    margin = np.where(Y == 1, cut - proba, proba - cut)
    wrong = np.flatnonzero((Y != P).any(axis=1))
    order = wrong[np.argsort(-margin[wrong].max(axis=1))] if len(wrong) else wrong
    severity = margin.max(axis=1)
    as_tags = [[labels[j] for j in np.flatnonzero(row)] for row in P]
    truth = [[labels[j] for j in np.flatnonzero(row)] for row in Y]
    errors = [_error_row(i, ids, texts, truth[i], as_tags[i], severity[i]) for i in order[:worst]]
    return {"metrics": metrics, "proba": proba, "Y": Y, "pred": as_tags, "errors": errors}


def _error_row(i, ids, texts, true, predicted, score) -> dict:
    return {"id": ids[i] if ids else i, "excerpt": " ".join(texts[i].split())[:300], "true": true,
            "predicted": predicted, "score": float(score)}


def keyword_baseline(texts: list[str], y: list, labels: list[str]) -> dict:
    return multilabel_metrics(tag_matrix(y, labels), tag_matrix(keyword_rule(texts, labels), labels), labels)


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
            rel_path = plot_reliability(s["Y"], s["proba"], labels, out / f"reliability_{name}.png",
                                        f"{name}: calibration")
            parts.append(f"<img src='{rel_path.name}' alt='reliability diagram'>")
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
