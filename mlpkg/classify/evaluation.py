"""Score a classifier on labelled rows and write its report files."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from ..evaluate.bootstrap import bootstrap_intervals
from ..evaluate.metrics import metrics_by_group, multilabel_metrics, singlelabel_metrics, tag_matrix
from ..evaluate.provenance import metadata_rows
from ..evaluate.report import (
    errors_html,
    features_html,
    key_value_html,
    metrics_html,
    plot_confusion,
    plot_label_confusions,
    plot_pr_curves,
    plot_reliability,
    table_html,
    tag_errors_html,
    write_report,
)
from ..evaluate.tables import group_table
from ..text.sentences import split_sentences
from .keyword_rule import keyword_rule


def score_classifier(model, rows, worst: int = 20) -> dict:
    """Metrics plus what the report needs (probabilities, predictions, worst errors, bootstrap
    intervals, per-publisher metrics) of ``model`` on ``rows`` (a :class:`~mlpkg.classify.training.LabelledSplit`)."""
    proba = model.predict_proba(rows.texts)
    pred = model.decide(proba)
    labels = list(model.classes_)
    if model.multi_label_:
        cut = np.tile([model.thresholds_[label] for label in labels], (len(rows.texts), 1))
        return _scored(model.binarize(rows.y), proba, model.binarize(pred), cut, labels, rows, worst)
    Y = model.binarize(rows.y)
    metrics = singlelabel_metrics(list(rows.y), pred, labels)
    wrong = np.flatnonzero(Y.argmax(axis=1) != proba.argmax(axis=1))
    severity = proba.max(axis=1)  # the probability of the class it wrongly chose
    order = wrong[np.argsort(-severity[wrong])] if len(wrong) else wrong
    errors = [_error_row(i, rows, rows.y[i], pred[i], severity[i]) for i in order[:worst]]
    return {"metrics": metrics, "proba": proba, "Y": Y, "pred": pred, "errors": errors,
            **_uncertainty(Y, model.binarize(pred), labels, rows)}


def scored_from_cv(cv: dict, data, labels: list[str], worst: int = 20) -> dict:
    """What the report needs, from out-of-fold predictions (each row's own fold thresholds); only the
    rows some fold scored (the newer protocol scores the newest rows only)."""
    rows = np.flatnonzero(~np.isnan(cv["proba"]).any(axis=1))
    if len(rows) < len(data.texts):
        cv = {**cv, **{k: cv[k][rows] for k in ("Y", "proba", "pred", "cut")}}
        data = data.subset(rows)
    return _scored(cv["Y"], cv["proba"], cv["pred"], cv["cut"], labels, data, worst, metrics=cv["pooled"])


def _uncertainty(Y: np.ndarray, P: np.ndarray, labels: list[str], rows) -> dict:
    by_publisher = metrics_by_group(Y, P, labels, rows.publishers) if rows.publishers else {}
    return {"intervals": bootstrap_intervals(Y, P, labels), "by_publisher": by_publisher}


def _scored(Y, proba, P, cut, labels, rows, worst, metrics=None) -> dict:
    """What the report shows; ``errors``: per tag its ``worst`` misses (the tag is true, the model did not
    give it; lowest probability under the cut first) and its ``worst`` false alarms (given, not true;
    highest above the cut first). One list ranked by how far the call is wrong would hold no miss: a
    miss is at most the cut (about 0.45) wrong, a false alarm up to 1 minus it."""
    metrics = metrics or multilabel_metrics(Y, P, labels)
    as_tags = [[labels[j] for j in np.flatnonzero(row)] for row in P]
    truth = [[labels[j] for j in np.flatnonzero(row)] for row in Y]

    def worst_of(wrong: np.ndarray, severity: np.ndarray) -> list[dict]:
        order = wrong[np.argsort(-severity[wrong], kind="stable")][:worst]
        return [_error_row(i, rows, truth[i], as_tags[i], severity[i]) for i in order]

    errors = {label: {"misses": worst_of(np.flatnonzero((Y[:, j] == 1) & (P[:, j] == 0)), cut[:, j] - proba[:, j]),
                      "false_alarms": worst_of(np.flatnonzero((Y[:, j] == 0) & (P[:, j] == 1)),
                                               proba[:, j] - cut[:, j])}
              for j, label in enumerate(labels)}
    return {"metrics": metrics, "proba": proba, "Y": Y, "pred": as_tags, "errors": errors,
            **_uncertainty(Y, P, labels, rows)}


def _error_row(i, rows, true, predicted, score) -> dict:
    """An error as the report lists it: title (the first sentence where the row has none) and excerpt."""
    title = (rows.titles[i] if rows.titles else None) or ""
    # texts are title + newline + body (mlpkg.text.normalize.article_text): the excerpt is the body's
    body = rows.texts[i].split("\n", 1)[-1] if title else rows.texts[i]
    if not title.strip():
        first, *rest = split_sentences(body) or [""]
        title, body = first, " ".join(rest)
    return {"id": rows.ids[i] if rows.ids else i + 1, "title": title, "excerpt": " ".join(body.split())[:300],
            "true": true, "predicted": predicted, "score": float(score)}


def keyword_baseline(rule, rows) -> dict:
    """Metrics of a :class:`~.keyword_rule.KeywordRule` on ``rows`` (a labelled split)."""
    labels = rule.classes_
    given = tag_matrix(keyword_rule(rows.texts, labels, rule.lexicon, rule.min_count), labels)
    return multilabel_metrics(tag_matrix(rows.y, labels), given, labels)


def write_classifier_report(
    out: Path,
    model,
    scored: dict[str, dict],
    extra_tables: dict[str, dict] | None = None,
    title: str = "Evaluation report",
    run: dict | None = None,
    threshold_note: str = "",
    warning: str = "",
) -> Path:
    """PNG plots per evaluated split and one report.html tying them together: run metadata
    (:func:`~mlpkg.evaluate.provenance.run_metadata`), thresholds, metrics with bootstrap intervals,
    per-publisher metrics, plots and the worst errors; ``warning`` first, where the figures need one."""
    sections = [("Warning", f"<p class=warn>{html.escape(warning)}</p>")] if warning else []
    sections += [("Run", key_value_html(metadata_rows(run)))] if run else []
    labels = list(model.classes_)
    if model.multi_label_ and model.thresholds_:
        rows = [(label, f"{t:.3f}") for label, t in model.thresholds_.items()]
        sections.append(("Decision thresholds", key_value_html(rows) + f"<p class=note>{html.escape(threshold_note)}"
                         " A tag is given when its calibrated probability is at or above its threshold.</p>"))
    for name, s in scored.items():
        parts = [metrics_html(s["metrics"], f"{name}: per-label metrics", s.get("intervals"))]
        if s.get("by_publisher"):
            parts.append("<h3>By publisher</h3>" + table_html(*group_table(s["by_publisher"], labels, "publisher")))
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
        parts.append("<h3>Worst errors</h3>" + (tag_errors_html(s["errors"]) if model.multi_label_
                                                 else errors_html(s["errors"])))
        sections.append((name, "".join(parts)))
    for name, metrics in (extra_tables or {}).items():
        sections.append((name, metrics_html(metrics, name)))
    if hasattr(model, "top_features"):
        sections.append(("Top features per label", features_html(model.top_features(20))))
    return write_report(out / "report.html", title, sections)
