"""scikit-learn's machinery where mlpkg had its own copy (issue 23, item 2): out-of-fold scores by
``cross_val_predict``, Platt scaling by ``CalibratedClassifierCV(method="sigmoid")``, threshold cuts on
``precision_recall_curve``, metrics by ``precision_recall_fscore_support`` / ``multilabel_confusion_matrix``,
reliability bins by ``calibration_curve``; and the shipped default's figures against main's."""

import json

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.metrics import classification_report

from benchmarks.default_oof_fixture import FIXTURE, default_figures
from mlpkg.classify import TfidfLexiconClassifier
from mlpkg.data.folds import grouped_folds, train_rows
from mlpkg.evaluate.metrics import expected_calibration_error, multilabel_metrics
from mlpkg.text.normalize import article_text

TAGS = ["koperasi", "umkm", "pendidikan"]


@pytest.fixture(scope="module")
def figures() -> tuple[dict, dict]:
    """main's figures (tests/data/default_oof.json, written by benchmarks/default_oof_fixture.py on main at 017d591)
    and this checkout's, on the same 1,229 rows."""
    return json.loads(FIXTURE.read_text(encoding="utf-8")), default_figures()


def _without_last_column(table: str) -> tuple[list[str], list[float]]:
    """A CV table's lines without their last column (ECE), and that column's figures."""
    lines = table.splitlines()
    return [line.rsplit(None, 1)[0] for line in lines], [float(line.rsplit(None, 1)[1]) for line in lines[3:-1]]


def test_default_thresholds_and_cv_table_unchanged_from_main(figures):
    # every cut and every precision, recall and F1 as on main; the ECE column may move by 0.001 (the Platt fit,
    # next test): measured on main's data at 017d591, pendidikan 0.008 -> 0.007
    main, now = figures
    assert now["rows"] == main["rows"]
    assert now["thresholds"] == pytest.approx(main["thresholds"], abs=1e-4)  # rounded to 4 decimals: one last digit
    assert np.allclose(now["cv_cut"], main["cv_cut"], rtol=0, atol=1e-4)
    (old, old_ece), (new, new_ece) = _without_last_column(main["cv_table"]), _without_last_column(now["cv_table"])
    assert new == old
    assert np.abs(np.subtract(new_ece, old_ece)).max() <= 0.001 + 1e-9, (old_ece, new_ece)


def test_default_out_of_fold_scores_move_only_by_the_exact_platt_fit(figures):
    # main fitted Platt's targets with LogisticRegression(C=100) (a penalty on the slope, lbfgs to 1e-4);
    # scikit-learn's sigmoid calibration reaches the unpenalised optimum. Measured at 017d591: probabilities
    # move by 1e-4 at the median, 0.0017 at the 99th percentile and 0.0094 at most (koperasi, in a fold
    # fitted on about 50 positives, where the penalty weighed most); the same raw scores keep their order
    main, now = figures
    for key in ("oof_proba", "cv_proba"):
        old, new = np.array(main[key], dtype=float), np.array(now[key], dtype=float)
        assert (np.isnan(old) == np.isnan(new)).all()
        moved = np.abs(old - new)[~np.isnan(old)]
        assert np.median(moved) <= 2e-4 and moved.max() < 0.01, (key, np.median(moved), moved.max())
    old, new = np.array(main["oof_proba"], dtype=float), np.array(now["oof_proba"], dtype=float)
    for j in np.flatnonzero(~np.isnan(old).any(axis=0)):
        order = np.lexsort((new[:, j], old[:, j]))  # by main's probability, ties (at 4 decimals) by the new one
        assert (np.diff(new[order, j]) >= 0).all(), TAGS[j]


def test_keyword_rule_cv_table_unchanged_from_main_but_for_calibration_bins(figures):
    # the rule's probabilities hits / (hits + 3) put 0.4 and 0.5 on bin edges, which calibration_curve
    # counts in the lower bin (main's own binning counted them in the upper one): its ECE column moves
    main, now = figures
    (old, old_ece), (new, new_ece) = (_without_last_column(main["keyword_rule_table"]),
                                      _without_last_column(now["keyword_rule_table"]))
    assert new == old
    assert np.abs(np.subtract(new_ece, old_ece)).max() <= 0.003, (old_ece, new_ece)


def test_default_tagger_calibration_is_calibrated_classifier_cv_on_its_grouped_folds(topic_sample):
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    tags, groups = [list(t) for t in topic_sample["tags"]], topic_sample["group"].tolist()
    model = TfidfLexiconClassifier(labels=TAGS, max_features_word=5000, lexicon={"koperasi": ["koperasi"]})
    model.fit(texts, tags, groups=groups)
    X, Y = model._blocks(texts, fit=False), model.binarize(tags)
    folds = [(train_rows(test, groups), test) for _, test in grouped_folds(Y, groups, model.calibration_folds,
                                                                           model.seed)]
    for j, tag in enumerate(TAGS):
        reference = CalibratedClassifierCV(model._head(), method="sigmoid", cv=folds, ensemble=False)
        expected = reference.fit(X, Y[:, j]).predict_proba(X)[:, 1]
        assert np.abs(model.predict_proba(texts)[:, j] - expected).max() < 1e-5, tag


def test_expected_calibration_error_uses_the_reliability_diagrams_bins():
    y = np.array([0, 1, 0, 1, 1, 0, 0, 0])
    p = np.array([0.5, 0.5, 0.4, 0.45, 0.9, 0.1, 0.2, 0.05])  # 0.5, 0.4, 0.1 and 0.2 on bin edges
    observed, predicted = calibration_curve(y, p, n_bins=10)
    sizes = [2, 1, 1, 3, 1]  # (0, 0.1], (0.1, 0.2], (0.3, 0.4], (0.4, 0.5], (0.8, 0.9]
    assert expected_calibration_error(y, p) == pytest.approx(np.dot(sizes, np.abs(observed - predicted)) / len(y))


@pytest.mark.parametrize("labels", [TAGS, ["koperasi"]])
def test_multilabel_metrics_agree_with_classification_report_for_one_tag_or_several(labels):
    rng = np.random.default_rng(0)
    Y = (rng.random((60, len(labels))) < 0.3).astype(int)
    P = (rng.random((60, len(labels))) < 0.3).astype(int)
    metrics = multilabel_metrics(Y, P, labels)
    report = classification_report(Y, P, output_dict=True, zero_division=0) if len(labels) > 1 else \
        {"0": classification_report(Y[:, 0], P[:, 0], output_dict=True, zero_division=0)["1"]}
    for j, label in enumerate(labels):
        m, r = metrics["per_label"][label], report[str(j)]
        assert (m["precision"], m["recall"], m["f1"], m["support"]) == pytest.approx(
            (r["precision"], r["recall"], r["f1-score"], r["support"]), abs=5e-5)
        assert m["tp"] + m["fn"] == m["support"] and m["tp"] + m["fp"] == int(P[:, j].sum())
