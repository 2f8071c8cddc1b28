"""Cross-validation of topic taggers: grouped multi-label stratified k-fold and leave-one-publisher-out.

Every fold fits the model the config describes on the other folds (thresholds and calibration
included, from those rows alone) and predicts its own rows, so each labelled article is scored
once by a model that never saw it, nor a near-copy of it (near-copy groups stay together), nor —
under the publisher protocol — any article of its publisher.

The loop is ours, not scikit-learn's ``cross_val_predict``: a fold yields its model's thresholds (its
decisions are made at that fold's cuts) and the warnings of its fit besides the probabilities, and the
newer protocol's one fold scores the newest rows only, which ``cross_val_predict`` refuses (not a partition).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np
from joblib import Parallel, delayed

from ..data.folds import train_rows
from ..errors import MlpkgWarning
from ..evaluate.metrics import expected_calibration_error, multilabel_metrics, tag_matrix
from ..evaluate.tables import render_table


def _fit_and_predict(fit: Callable, data, test: np.ndarray, labels: list[str]
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The fold's probabilities and thresholds, and the warnings its fit gave (a worker process does
    not print them where the log goes)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MlpkgWarning)
        model = fit(data.subset(train_rows(test, data.groups)))
    proba = model.predict_proba([data.texts[i] for i in test])
    notes = [str(w.message) for w in caught if issubclass(w.category, MlpkgWarning)]
    return proba, np.array([model.thresholds_[label] for label in labels]), notes


def cross_validate(
    fit: Callable, data, folds: list[tuple[str, np.ndarray]], labels: list[str], log=print, n_jobs: int = -1
) -> dict:
    """Fit ``fit(train_split)`` per fold and score its held-out rows.

    Returns per-fold metrics, the pooled out-of-fold metrics, per-tag ECE, a mean ± std summary,
    and the out-of-fold probabilities, decisions and thresholds for reports.
    """
    n = len(data.texts)
    Y = tag_matrix(data.y, labels)
    # a tag nobody decided for an article (a labels-file decision on another tag) is neither right nor wrong there
    known = ~tag_matrix(data.undecided, labels).astype(bool) if data.undecided else np.ones(Y.shape, dtype=bool)
    proba, pred, cut = np.full((n, len(labels)), np.nan), np.zeros_like(Y), np.zeros((n, len(labels)))
    # folds are independent: one process per core (each fold fits and predicts on its own)
    n_jobs = (os.cpu_count() or 1) if n_jobs < 0 else n_jobs
    fitted = Parallel(n_jobs=min(n_jobs, len(folds)))(
        delayed(_fit_and_predict)(fit, data, test, labels) for _, test in folds
    )
    for (name, test), (p, thresholds, notes) in zip(folds, fitted):
        proba[test], pred[test], cut[test] = p, ((p >= thresholds) & known[test]).astype(int), thresholds
        for note in notes:
            log(f"  {name}: warning: {note}")
    per_fold, pooled = score_folds(folds, proba, pred, cut, Y, labels, log, known)
    return {
        "folds": per_fold,
        "pooled": pooled,
        "summary": summarize_folds(per_fold, labels),
        "proba": proba,
        "pred": pred,
        "cut": cut,
        "Y": Y,
        "known": known,
    }


def score_folds(folds: list[tuple[str, np.ndarray]], proba: np.ndarray, pred: np.ndarray, cut: np.ndarray,
                Y: np.ndarray, labels: list[str], log=None, known: np.ndarray | None = None) -> tuple[list[dict], dict]:
    """Per-fold metrics and the pooled out-of-fold metrics (with per-tag ECE, on the rows where the
    tag is ``known``) of the scored rows."""
    per_fold = []
    for name, test in folds:
        fold_metrics = multilabel_metrics(Y[test], pred[test], labels)
        per_fold.append({"fold": name, "n": int(len(test)), "thresholds": dict(zip(labels, cut[test[0]].tolist())),
                         "metrics": fold_metrics})
        if log is not None:
            measured = measured_macro(fold_metrics)
            log(f"  {name}: n={len(test)} " + (f"macro-F1 {measured:.3f}" if measured is not None else
                                               f"no tag with {MIN_SUPPORT}+ positives to measure"))
    scored = ~np.isnan(proba).any(axis=1)
    pooled = multilabel_metrics(Y[scored], pred[scored], labels)
    for j, label in enumerate(labels):
        rows = scored & known[:, j] if known is not None else scored
        pooled["per_label"][label]["ece"] = round(expected_calibration_error(Y[rows, j], proba[rows, j]), 4)
    return per_fold, pooled


def on_rows(result: dict, folds: list[tuple[str, np.ndarray]], rows: np.ndarray, labels: list[str]) -> dict:
    """``result`` of :func:`cross_validate` scored again on ``rows`` only (a boolean mask), the same
    out-of-fold predictions and thresholds: e.g. the rows whose labels were not marked unsure.
    ``left_out``: the rows ``result`` scored that this leaves out."""
    kept = [(name, test[rows[test]]) for name, test in folds if rows[test].any()]
    proba = np.where(rows[:, None], result["proba"], np.nan)
    per_fold, pooled = score_folds(kept, proba, result["pred"], result["cut"], result["Y"], labels,
                                   known=result.get("known"))
    return {"folds": per_fold, "pooled": pooled, "summary": summarize_folds(per_fold, labels),
            "left_out": result["pooled"]["n"] - pooled["n"]}


MIN_SUPPORT = 3  # a tag's F1 in a fold counts from this many positives on


def measured_macro(fold_metrics: dict, min_support: int = MIN_SUPPORT) -> float | None:
    """A fold's macro-F1 over the tags it can measure (``min_support`` positives or more), or None.
    A publisher without any cooperative story says nothing about koperasi; counting its F1 as 0 would."""
    measured = [m["f1"] for m in fold_metrics["per_label"].values() if m["support"] >= min_support]
    return float(np.mean(measured)) if measured else None


def summarize_folds(per_fold: list[dict], labels: list[str], min_support: int = MIN_SUPPORT) -> dict:
    """Mean ± std over folds of precision, recall and F1 per tag, counting only the folds where the
    tag has ``min_support`` positives or more (an F1 on one article is 0 or 1, not a measurement)."""
    out = {}
    for label in labels:
        rows = [f["metrics"]["per_label"][label] for f in per_fold
                if f["metrics"]["per_label"][label]["support"] >= min_support]
        out[label] = {"folds": len(rows), "support": sum(r["support"] for r in rows)}
        for k in ("precision", "recall", "f1"):
            values = np.array([r[k] for r in rows]) if rows else np.array([np.nan])
            out[label][k] = {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values)), 4)}
    macro = [m for f in per_fold if (m := measured_macro(f["metrics"], min_support)) is not None]
    macro = np.array(macro) if macro else np.array([np.nan])
    out["macro"] = {"f1": {"mean": round(float(np.mean(macro)), 4), "std": round(float(np.std(macro)), 4)},
                    "folds": int(np.isfinite(macro).sum())}
    return out


def format_cv_table(result: dict, title: str, markdown: bool = False) -> str:
    """Per tag mean ± std over folds, then the pooled out-of-fold figures and ECE (plain text, or ``markdown``)."""
    s, pooled = result["summary"], result["pooled"]["per_label"]

    def spread(v: dict, folds: int) -> str:  # one measured fold (the newer protocol's one held-out set): no std
        return f"{v['mean']:.3f}" if folds == 1 else f"{v['mean']:.3f} ± {v['std']:.3f}"

    rows = []
    for label, m in pooled.items():
        f = s[label]
        rows.append([label, *(spread(f[k], f["folds"]) for k in ("precision", "recall", "f1")),
                     str(f["folds"]), f"{m['f1']:.3f}", str(m["support"]), f"{m['ece']:.3f}"])
    macro = s["macro"]["f1"]
    rows.append(["macro", "", "", spread(macro, s["macro"]["folds"]), str(s["macro"]["folds"]),
                 f"{result['pooled']['macro']['f1']:.3f}", f"{result['pooled']['n']} rows", ""])
    header = ["tag", "precision", "recall", "F1 (mean ± std)", "folds", "pooled F1", "positives", "ECE"]
    return render_table(header, rows, "lrrrrrrr", title, markdown)
