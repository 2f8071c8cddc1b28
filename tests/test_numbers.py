"""Issue 22, items 1-8: every number a data scientist reads is right (one regression test per item)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from mlpkg.classify.lexicon_features import TagLexicon
from mlpkg.config import parse_config

ROOT = Path(__file__).resolve().parents[1]

TITLE = "Lampung Tuntas Bentuk 2.400 Koperasi Desa Merah Putih"
BODY = ("Provinsi Lampung mencatatkan capaian penuh dalam program nasional pembentukan Koperasi "
        "Desa/Kelurahan Merah Putih. Saat ini jumlahnya sudah mencapai sekitar 2.400 koperasi yang terbentuk.")


@pytest.mark.parametrize("term, hits", [
    (r"koperasi\Wdesa", (1, 1, 1)),  # \W: a space in feature text (lower-cased it was \w: no hit)
    (r"koperasi\S", (0, 0, 0)),  # \S: "koperasi" is followed by a space everywhere (lower-cased: \s, 3 hits)
    (r"putih\Z", (1, 0, 0)),  # \Z: the title's end (lower-cased: \z, an invalid pattern)
    (r"koperasi \D", (1, 2, 2)),  # \D: a word follows (lower-cased: \d, a number must follow: no hit)
])
def test_lexicon_patterns_compiled_case_insensitively_keep_upper_case_escapes(term, hits):
    lexicon = TagLexicon({"koperasi": [term]})
    assert lexicon.counts(f"{TITLE}\n{BODY}")["koperasi"][:3] == hits


def _topic_cfg(**evaluation):
    return parse_config({"model": {"name": "tfidf_linear.v1", "char_ngrams": []},
                         "data": {"labels": ["koperasi", "umkm", "pendidikan"]},
                         "evaluation": {"protocol": "cv", "report": False, **evaluation}}, "x.yaml")


def test_empty_fold_and_numeric_settings_are_checked(topic_sample):
    from mlpkg.classify.training import cv_folds
    from mlpkg.data.labelled import LabelledSplit
    from mlpkg.errors import ConfigError, DataError

    # three near-copy groups cannot fill five folds: a clear error, not an IndexError on an empty fold
    rows = topic_sample.head(9)
    data = LabelledSplit(list(rows.id), list(rows.text), [list(t) for t in rows.tags], [i % 3 for i in range(9)])
    with pytest.raises(DataError, match=r"3 near-copy groups cannot fill evaluation.cv_folds=5 folds"):
        cv_folds(_topic_cfg(), data, "group")
    for key, value, rule in [("evaluation.cv_folds", 1, ">= 2"), ("evaluation.publisher_min_rows", 0, ">= 1"),
                             ("thresholds.min_precision", 1.5, "> 0.0 and <= 1.0"),
                             ("thresholds.min_precision", 0, "> 0.0 and <= 1.0"),
                             ("thresholds.min_positives", -1, ">= 0"), ("evaluation.worst_errors", -5, ">= 0"),
                             ("data.max_train_rows", 0, ">= 1"), ("seed", -1, ">= 0")]:
        section, _, name = key.rpartition(".")
        raw = {"model": {"name": "tfidf_linear.v1"}}
        (raw.setdefault(section, {}) if section else raw)[name] = value
        with pytest.raises(ConfigError, match=rf"x\.yaml: {re.escape(key)} must be {re.escape(rule)}, got {value}"):
            parse_config(raw, "x.yaml")


@pytest.fixture(scope="module")
def small_model(topic_sample, tmp_path_factory):
    """A small TF-IDF tagger saved with a config that names a labels file (as `mlpkg label` training does)."""
    import yaml

    from mlpkg.classify import TfidfClassifier
    from mlpkg.core.directory import write_model_dir
    from mlpkg.label.store import append_event
    from mlpkg.text.normalize import article_text

    folder = tmp_path_factory.mktemp("small")
    train = topic_sample.iloc[100:]
    model = TfidfClassifier(labels=["koperasi", "umkm", "pendidikan"], head="logreg", char_ngrams=[],
                            max_features_word=5000).fit(
        [article_text(t, b) for t, b in zip(train.title, train.text)], [list(t) for t in train.tags])
    labels_file = folder / "decisions.jsonl"
    for _, row in topic_sample.iloc[:100].iterrows():
        append_event(labels_file, {"action": "label", "id": f"label-{row.id}", "title": row.title, "text": row.text,
                                   "tags": list(row.tags), "confidence": "high", "annotator": "a"})
    data = {"path": "data/topics.parquet", "labels": list(model.classes_), "extra_labels": [str(labels_file)]}
    return write_model_dir(folder / "model", model, {"config.yaml": yaml.safe_dump({"data": data})})


def test_evaluate_does_not_add_the_training_labels_files(small_model, topic_sample, tmp_path):
    from mlpkg.evaluate.saved_model import evaluate_model_dir

    rows = topic_sample.iloc[200:260][["id", "title", "text", "tags"]]
    rows.to_parquet(tmp_path / "rows.parquet")
    result = evaluate_model_dir(str(small_model), str(tmp_path / "rows.parquet"))
    assert result["metrics"]["n"] == 60  # the file's rows, not the labels file's 100 decisions on top


def test_tfidf_linear_calibration_folds_keep_near_copy_groups(topic_sample, monkeypatch):
    from mlpkg.classify import TfidfClassifier

    stories = topic_sample.drop_duplicates("text")
    cooperative = stories["tags"].map(lambda t: "koperasi" in t)
    # eight cooperative stories among the 120, whatever the sample's order: every tag needs three positive
    # groups for three calibration folds (a tag with fewer is scored in sample, and fitted no fold)
    rows = pd.concat([stories[cooperative].head(8), stories[~cooperative]]).head(120)
    texts = [f"{t}\n{b}" for t, b in zip(rows.title, rows.text)]
    tags = [list(t) for t in rows.tags]
    assert all(sum(tag in t for t in tags) >= 3 for tag in ("koperasi", "umkm", "pendidikan"))
    seen = []
    linear = TfidfClassifier._linear

    def spy(self, X, y):
        seen.append([X[i].toarray().tobytes() for i in range(X.shape[0])])
        return linear(self, X, y)

    monkeypatch.setattr(TfidfClassifier, "_linear", spy)
    # every story twice, the copies in one near-copy group
    TfidfClassifier(labels=["koperasi", "umkm", "pendidikan"], head="logreg", char_ngrams=[], calibration_folds=3).fit(
        texts * 2, tags * 2, groups=list(range(120)) * 2)
    calibration_fits = [rows for rows in seen if len(rows) < 240]
    assert len(calibration_fits) == 3 * 3  # three folds per tag
    for fitted_rows in calibration_fits:  # a copy is in a calibration fold's training rows only with its twin
        assert all(fitted_rows.count(r) == 2 for r in fitted_rows)


def test_one_rare_tag_keeps_the_other_tags_calibrated_and_is_never_tuned_in_sample(topic_sample, capsys):
    from mlpkg.classify.classifier_card import calibration_note
    from mlpkg.classify.training import fit_on_all
    from mlpkg.cli import _print_warnings
    from mlpkg.data.labelled import LabelledSplit
    from mlpkg.errors import UncalibratedTagWarning

    rows = topic_sample.head(300)
    first = rows.title.str.contains("Koperasi Desa Merah Putih", na=False).idxmax()  # the new tag's one positive
    tags = [list(t) + (["kdmp"] if i == first else []) for i, t in zip(rows.index, rows.tags)]
    data = LabelledSplit(list(rows.id), [f"{t}\n{b}" for t, b in zip(rows.title, rows.text)], tags, list(rows.group))
    cfg = parse_config({"model": {"name": "tfidf_lexicon.v1", "lexicon": {"kdmp": ["kdmp\\b", "merah putih"]}},
                        "data": {"labels": ["koperasi", "umkm", "pendidikan", "kdmp"]},
                        "thresholds": {"objective": "f1_calibrated", "min_positives": 1}}, "x.yaml")
    with pytest.warns(UncalibratedTagWarning, match=r"\[W001\] tag 'kdmp' has 1 positive\(s\) of 300 rows"):
        model = fit_on_all(cfg, data)
    assert model.calibration_["out_of_fold"].tolist() == [True, True, True, False]
    platt = model.calibration_["platt"]
    assert all(tuple(platt[j]) != (1.0, 0.0) for j in range(3))  # the common tags are still calibrated
    assert tuple(platt[3]) == (1.0, 0.0) and model.thresholds_["kdmp"] == 0.5  # raw sigmoid, cut not tuned
    assert model.thresholds_["umkm"] != 0.5
    note = calibration_note(model)
    assert "out-of-fold scores: `koperasi`, `umkm`, `pendidikan`." in note
    assert "Too rare to calibrate out of fold (warning W001): `kdmp`" in note
    _print_warnings("train")(UncalibratedTagWarning("tag 'kdmp' ..."), UncalibratedTagWarning, "x.py", 1)
    assert capsys.readouterr().err == "mlpkg train: warning: [W001] tag 'kdmp' ...\n"


def test_fit_on_all_under_protocol_cv_fits_every_row_with_out_of_fold_thresholds(topic_sample, tmp_path):
    import numpy as np

    from mlpkg.classify import TfidfClassifier
    from mlpkg.core.directory import load_model
    from mlpkg.data.labelled import load_split
    from mlpkg.tasks import train

    rows = topic_sample.head(300)[["id", "title", "text", "tags", "group"]]
    rows.to_parquet(tmp_path / "rows.parquet")
    params = {"name": "tfidf_linear.v1", "char_ngrams": [], "max_features_word": 5000}
    cfg = parse_config({"model": params, "output_dir": str(tmp_path / "m"),
                        "data": {"path": str(tmp_path / "rows.parquet"), "labels": ["koperasi", "umkm", "pendidikan"]},
                        "evaluation": {"protocol": "cv", "report": False, "keyword_baseline": False}}, "x.yaml")
    lines = []
    result = train(cfg, log=lines.append)
    assert any("refitted tfidf_linear.v1 on all 300 rows; thresholds from the cross-validation's out-of-fold "
               "probabilities of every row" in line for line in lines)
    model, data = load_model(tmp_path / "m"), load_split(cfg.data, None)
    on_all = TfidfClassifier(**{k: v for k, v in params.items() if k != "name"}, labels=cfg.data.labels).fit(
        data.texts, data.y, groups=data.groups)
    np.testing.assert_allclose(model.coef_, on_all.coef_, rtol=1e-5)  # fitted on every row, not four fifths
    assert result["metrics"]["final_fit"] == {"rows": 300, "of": 300, "thresholds": "the cross-validation's "
                                              "out-of-fold probabilities of every row"}
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert "The shipped model: refitted `tfidf_linear.v1` on all 300 rows" in card


def test_provenance_commit_is_the_working_directory_repository_holding_the_data(tmp_path, monkeypatch):
    import shutil
    import subprocess

    from mlpkg.evaluate.provenance import run_metadata

    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(ROOT / "data" / "DATASHEET.md", outside / "rows.md")
    monkeypatch.chdir(outside)  # no repository here: no commit, whatever repository encloses mlpkg
    assert run_metadata(str(outside / "rows.md"))["git_commit"] is None
    repo = tmp_path / "project"
    repo.mkdir()
    shutil.copy(ROOT / "data" / "DATASHEET.md", repo / "rows.md")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "rows.md"], check=True)
    subprocess.run(git + ["commit", "-qm", "data"], check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    monkeypatch.chdir(repo)
    assert run_metadata("rows.md")["git_commit"] == head  # the data's own repository, clean
    assert run_metadata(str(outside / "rows.md"))["git_commit"] is None  # data outside it: not versioned by it


def test_keyword_rule_and_label_queue_read_the_config_lexicon(topic_sample):
    from mlpkg.batch.validate import Article
    from mlpkg.classify.training import keyword_rule_for
    from mlpkg.label.queue import CandidateQueue

    lexicon = {"koperasi": ["koperasi", "kopdes\\b"], "kdmp": ["koperasi desa merah putih", "kdmp\\b", "merah putih"]}
    cfg = parse_config({"model": {"name": "tfidf_lexicon.v1", "lexicon": lexicon},
                        "data": {"labels": ["koperasi", "kdmp", "umkm"]}}, "x.yaml")
    rows = topic_sample[topic_sample.title.str.contains("Koperasi Desa Merah Putih", na=False)].head(3)
    texts = [f"{t}\n{b}" for t, b in zip(rows.title, rows.text)]
    notes = []
    rule = keyword_rule_for(cfg, cfg.data.labels, log=notes.append)
    assert notes == ["keyword rule: no terms in model.lexicon for umkm: the rule never gives that tag"]
    proba = rule.predict_proba(texts)
    assert (proba[:, 1] >= 0.5).all() and (proba[:, 2] == 0).all()  # the new tag's rule is its lexicon
    articles = [Article(i + 1, str(r.id), r.title, r.text) for i, r in enumerate(rows.itertuples())]
    queue = CandidateQueue(articles, tags=["koperasi", "kdmp"], lexicon=lexicon)
    assert (queue.rule[:, 1] >= 3).all()  # "keyword rule says yes" can fire for the new tag
    no_lexicon = parse_config({"model": {"name": "tfidf_linear.v1"}, "data": {"labels": ["koperasi"]}}, "x.yaml")
    assert keyword_rule_for(no_lexicon, ["koperasi"], log=notes.append) is None
    assert notes[-1].startswith("keyword rule: not scored (it counts the terms of model.lexicon")
