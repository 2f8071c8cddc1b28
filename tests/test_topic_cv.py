"""The default topic tagger (tfidf_lexicon.v1), its lexicon features, calibration and cross-validation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkg.classify import TfidfLexiconClassifier
from mlpkg.classify.lexicon_features import TagLexicon
from mlpkg.classify.linear import fit_platt, sigmoid_calibration
from mlpkg.classify.training import fit_on_all
from mlpkg.cli import main as cli_main
from mlpkg.config import load_config
from mlpkg.core.directory import load_model
from mlpkg.data.folds import grouped_folds, newer_folds, publisher_folds, train_rows
from mlpkg.data.labelled import load_split
from mlpkg.data.load import parse_dates
from mlpkg.errors import ConfigError, DataError
from mlpkg.evaluate.metrics import expected_calibration_error, multilabel_metrics, tag_matrix
from mlpkg.text.normalize import article_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAGS = ["koperasi", "umkm", "pendidikan"]


@pytest.fixture(scope="module")
def default_model():
    """What `make train` ships: the default config fitted on every labelled row of data/."""
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml")
    return fit_on_all(cfg, load_split(cfg.data, None))


def test_default_model_tags_antara_cooperative_forum_koperasi_not_pendidikan(default_model):
    title, body = (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8").split("\n", 1)
    proba = default_model.predict_proba([article_text(title, body)])[0]
    tags = default_model.predict_tags([article_text(title, body)])[0]
    assert "koperasi" in tags and "pendidikan" not in tags, dict(zip(default_model.classes_, proba.round(3)))


def test_default_model_thresholds_come_from_out_of_fold_scores(default_model):
    assert default_model.oof_proba_.shape[1] == 3
    # tuned (not the untuned 0.5 fallback) for every tag: each has 10+ positives
    assert all(t != 0.5 for t in default_model.thresholds_.values())


def test_default_model_leaves_unrelated_economy_news_untagged(default_model):
    text = article_text("Harga emas Antam naik Rp7.000 per gram",
                        "Harga emas Antam yang dipantau dari laman Logam Mulia naik Rp7.000 menjadi Rp1.897.000 per "
                        "gram. Harga pembelian kembali juga naik. Investor menunggu keputusan suku bunga bank sentral.")
    assert default_model.predict_tags([text]) == [[]]


def test_lexicon_counts_title_lead_and_body():
    lex = TagLexicon({"koperasi": ["koperasi", "ksp\\b"], "umkm": ["umkm\\b"]}, lead_chars=60)
    text = ("Koperasi Desa Merah Putih diresmikan\nPresiden meresmikan 80.000 koperasi desa. "
            + "Warga berharap harga pangan turun. " * 5 + "KSP di desa itu ikut bergabung.")
    counts = lex.counts(text)
    assert counts["koperasi"][:3] == (1, 1, 2) and counts["umkm"][:3] == (0, 0, 0)
    features = lex.transform([text])
    assert features.shape == (1, 8) and features[0, :4].min() > 0 and features[0, 4:].max() == 0


def test_lexicon_with_a_bad_pattern_fails_at_config_load_naming_the_term():
    with pytest.raises(ConfigError, match=r"model\.lexicon: .*koperasi: term '\(ksp' is not a valid regular"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["model.lexicon.koperasi=['(ksp']"])


def test_lexicon_tag_outside_the_label_set_is_refused_at_fit(topic_sample):
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    model = TfidfLexiconClassifier(lexicon={"pertanian": ["petani"]}, max_features_word=2000)
    with pytest.raises(DataError, match=r"model\.lexicon has tags \['pertanian'\]"):
        model.set_params(labels=TAGS).fit(texts, [list(t) for t in topic_sample["tags"]])


def test_smoothed_platt_keeps_probabilities_off_certainty_with_few_positives():
    scores = np.r_[np.linspace(-3, -1, 200), [1.5, 2.0, 2.5]]
    y = np.r_[np.zeros(200, dtype=int), np.ones(3, dtype=int)]
    a_raw, b_raw = fit_platt(scores, y)
    a_s, b_s = sigmoid_calibration(scores, y)
    top = 1 / (1 + np.exp(-(np.array([a_raw, a_s]) * 2.5 + np.array([b_raw, b_s]))))
    assert top[1] < top[0] and top[1] < 0.95


def test_expected_calibration_error_of_perfect_and_overconfident_scores():
    y = np.r_[np.zeros(50), np.ones(50)]
    assert expected_calibration_error(y, y) == 0.0
    assert expected_calibration_error(y, np.full(100, 0.95)) == pytest.approx(0.45)


def test_grouped_folds_keep_near_copies_together_and_spread_rare_tags(topics):
    Y = tag_matrix([list(t) for t in topics["tags"]], TAGS)
    folds = grouped_folds(Y, topics["group"].tolist(), 5, seed=0)
    fold_of = np.full(len(topics), -1)
    for k, (_, test) in enumerate(folds):
        fold_of[test] = k
        assert Y[test, 0].sum() >= 0.15 * Y[:, 0].sum()  # every fold gets its share of koperasi
    assert (fold_of >= 0).all()
    assert topics.assign(f=fold_of).groupby("group")["f"].nunique().max() == 1


def test_publisher_folds_hold_out_whole_publishers_and_their_near_copies(topics):
    folds = dict(publisher_folds(topics["publisher"].tolist(), min_rows=150))
    test = folds["detik"]
    assert set(topics["publisher"].iloc[test]) == {"detik"}
    train = train_rows(test, topics["group"].tolist())
    assert not set(topics["group"].iloc[train]) & set(topics["group"].iloc[test])
    assert "(smaller publishers)" in folds


def test_publication_dates_are_read_as_the_sites_write_them():
    # strings as they stand in data/topics.parquet's date column
    written = ["2019-12-06 00:00:00", "2025-10-09T03:00:00+07:00", "2015/08/25", "17/09/2019",
               "Jumat, 20 Jun 2025 15:52 WIB", "Senin 06 Mei  2024 04:53 WIB", "Kompas.com- 20/06/2025, 17:42 WIB",
               "Diperbarui 16 Jun 2025, 08:50 WIB", "22 Des 2024", "06 Agustus 2019", "Oktober 21, 2019",
               " Sep 19, 2019 ", "19-Sep-19", "8/31/0024", "", None]
    read = [str(d.date()) if d == d else None for d in parse_dates(written)]
    assert read == ["2019-12-06", "2025-10-09", "2015-08-25", "2019-09-17", "2025-06-20", "2024-05-06", "2025-06-20",
                    "2025-06-16", "2024-12-22", "2019-08-06", "2019-10-21", "2019-09-19", "2019-09-19",
                    None, None, None]


def test_newer_folds_score_the_newest_news_with_a_model_of_older_and_undated_news(topics):
    from datetime import date

    ((name, test),) = newer_folds(topics["date"].tolist(), date(2025, 1, 1))
    days = parse_dates(topics["date"].tolist())
    assert name == "dated 2025-01-01 or later"
    assert (days.iloc[test].dt.year >= 2025).all() and len(test) == int((days.dt.year >= 2025).sum())
    train = train_rows(test, topics["group"].tolist())
    assert not (days.iloc[train].dt.year >= 2025).any()  # no newer news, nor a near-copy of it, in training
    assert days.iloc[train].isna().sum() > 1000  # the undated articles train the model
    with pytest.raises(DataError, match=r"dated 2015-\d\d-\d\d to 2026-\d\d-\d\d; pick a day inside"):
        newer_folds(topics["date"].tolist(), date(2030, 1, 1))


def test_newer_protocol_needs_a_day_and_says_which_key(topic_sample, tmp_path):
    from mlpkg.classify.training import cv_folds

    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", ["evaluation.newer_from=null"])
    with pytest.raises(ConfigError, match=r"evaluation\.newer_from .*--set evaluation\.newer_from=2025-01-01"):
        cv_folds(cfg, load_split(cfg.data, None), "newer")
    with pytest.raises(ConfigError, match=r"evaluation\.newer_from must be a day written YYYY-MM-DD, e\.g\. "
                                          r"2025-01-01, got 'next year'"):
        load_config(ROOT / "configs" / "topic_tfidf.yaml", ["evaluation.newer_from=next year"])
    quoted = load_config(ROOT / "configs" / "topic_tfidf.yaml", ["evaluation.newer_from='2024-06-01'"])
    assert quoted.evaluation.newer_from.isoformat() == "2024-06-01"


def run_cv_on_sample(topic_sample, tmp_path, *args: str) -> int:
    """``mlpkg cv`` with the default config on the ~600-row sample (a small vocabulary, output in tmp_path/cv)."""
    data = tmp_path / "sample.parquet"
    topic_sample.to_parquet(data)
    cfg = tmp_path / "cfg.yaml"
    text = (ROOT / "configs" / "topic_tfidf.yaml").read_text(encoding="utf-8")
    cfg.write_text(text.replace("path: data/topics.parquet", f"path: {data}"), encoding="utf-8")
    return cli_main(["cv", "--config", str(cfg), *args, "--set", "model.max_features_word=5000",
                     "--output", str(tmp_path / "cv")])


def test_cv_command_scores_model_and_keyword_rule_on_the_same_folds(topic_sample, tmp_path, capsys):
    code = run_cv_on_sample(topic_sample, tmp_path, "--protocol", "group", "--set", "evaluation.cv_folds=3")
    assert code == 0
    printed = capsys.readouterr().out
    assert "Model" in printed and "Keyword rule" in printed and "± " in printed and "**" not in printed
    result = json.loads((tmp_path / "cv" / "cv.json").read_text(encoding="utf-8"))
    model = result["group"]["model"]
    assert len(model["folds"]) == 3 and model["pooled"]["n"] == len(topic_sample)
    assert set(model["summary"]) == {*TAGS, "macro"} and "ece" in model["pooled"]["per_label"]["koperasi"]
    assert model["summary"]["koperasi"]["f1"]["mean"] > 0.5
    assert (tmp_path / "cv" / "report.html").exists() and (tmp_path / "cv" / "pr_curves_group.png").exists()
    # the same predictions scored without the rows whose readers marked them unsure
    unsure = int((topic_sample["confidence"] == "low").sum())
    assert unsure > 0 and f"sure labels only (the {unsure} rows read with low confidence left out)" in printed
    sure = result["group"]["model_sure"]
    assert sure["pooled"]["n"] == len(topic_sample) - unsure == sum(f["n"] for f in sure["folds"])
    assert result["group"]["keyword_rule_sure"]["pooled"]["n"] == sure["pooled"]["n"]


def test_cv_command_holds_out_the_newest_news(topic_sample, tmp_path, capsys):
    code = run_cv_on_sample(topic_sample, tmp_path, "--protocol", "newer", "--set", "evaluation.newer_from=2024-01-01")
    assert code == 0
    printed = capsys.readouterr().out
    assert "newer: newest news held out" in printed and "± 0." not in printed  # one held-out set: no spread
    result = json.loads((tmp_path / "cv" / "cv.json").read_text(encoding="utf-8"))
    assert set(result) == {"newer"}
    model = result["newer"]["model"]
    newer = int((parse_dates(topic_sample["date"].tolist()) >= "2024-01-01").sum())
    assert [f["fold"] for f in model["folds"]] == ["dated 2024-01-01 or later"] and model["pooled"]["n"] == newer
    assert model["summary"]["koperasi"]["f1"]["mean"] > 0.5
    assert (tmp_path / "cv" / "report.html").exists()


def test_train_with_cv_protocol_writes_a_card_with_cross_validated_metrics(topic_sample, tmp_path):
    from mlpkg.tasks import train

    data = tmp_path / "sample.parquet"
    topic_sample.to_parquet(data)
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"data.path={data}", "evaluation.cv_folds=3",
                                                              "model.max_features_word=5000",
                                                              f"output_dir={tmp_path / 'm'}"])
    result = train(cfg, log=lambda *_: None)
    assert set(result["metrics"]) == {"cv", "cv_sure", "keyword_rule_cv", "final_fit", "reader_bar"}
    read_twice = set(pd.read_json(ROOT / "data" / "labels" / "agreement.jsonl", lines=True)["id"])
    against = result["metrics"]["reader_bar"]["model_vs_readers"]  # the articles both read twice and held out
    assert against["articles"] == len(read_twice & set(topic_sample["id"])) > 0
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert f"model vs the readings (same {against['articles']})" in card
    assert "cross-validation" in card and "out-of-fold" in card
    unsure = int((topic_sample["confidence"] == "low").sum())
    assert f"without the {unsure} rows whose reader marked the decision unsure" in card
    model = load_model(tmp_path / "m")
    assert isinstance(model, TfidfLexiconClassifier) and model.lexicon["koperasi"][0] == "koperasi"


def test_multilabel_rows_whose_tags_are_all_dropped_are_dropped_not_negatives(topic_sample, tmp_path):
    """Regression: data.drop_labels turned a multi-label row carrying only dropped tags into a negative."""
    from mlpkg.classify.classifier_card import DROPPED_COUNT
    from mlpkg.tasks import train

    rows = topic_sample.head(240).reset_index(drop=True)
    rows["split"] = ["train", "train", "dev", "test"] * 60
    rows["tags"] = [list(t) for t in rows["tags"]]
    rows.loc[:9, "tags"] = pd.Series([["olahraga"]] * 10)  # only a dropped tag: the row goes
    rows.loc[10:14, "tags"] = pd.Series([["olahraga", "umkm"]] * 5, index=range(10, 15))  # keeps umkm
    data = tmp_path / "rows.parquet"
    rows.to_parquet(data)
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", [
        f"data.path={data}", "data.drop_labels=[olahraga]", "evaluation.protocol=split", "evaluation.report=false",
        "data.heldout_split_field=null", "model.max_features_word=3000", f"output_dir={tmp_path / 'm'}"])

    train_rows_ = load_split(cfg.data, "train")
    in_train = rows.split == "train"
    assert train_rows_.dropped == in_train[:10].sum() == 6 and len(train_rows_.ids) == in_train.sum() - 6
    assert not set(rows.id[:10]) & set(train_rows_.ids)
    y = dict(zip(train_rows_.ids, train_rows_.y))
    assert [y[i] for i in rows.id[10:15] if i in y] == [["umkm"]] * int(in_train[10:15].sum()) == [["umkm"]] * 2

    logged = []
    train(cfg, log=logged.append)
    assert "dropped 10 rows whose labels are all in data.drop_labels" in logged[0]
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert f"{DROPPED_COUNT}: 10." in card and f"| train | {in_train.sum() - 6} |" in card


def test_a_fold_macro_counts_only_the_tags_it_can_measure():
    from mlpkg.classify.cross_validation import measured_macro, summarize_folds

    # kapanlagi-like fold: no story of any tag; tempo-like: only pendidikan measurable
    Y_none, P_none = np.zeros((180, 3), dtype=int), np.zeros((180, 3), dtype=int)
    Y_edu = np.zeros((100, 3), dtype=int)
    Y_edu[:10, 2] = 1
    Y_edu[10, 0] = 1  # one koperasi story: an F1 on one article is not a measurement
    P_edu = Y_edu.copy()
    P_edu[10, 0] = 0
    folds = [{"metrics": multilabel_metrics(Y, P, TAGS)} for Y, P in ((Y_none, P_none), (Y_edu, P_edu))]
    assert measured_macro(folds[0]["metrics"]) is None
    assert measured_macro(folds[1]["metrics"]) == 1.0
    assert summarize_folds(folds, TAGS)["macro"] == {"f1": {"mean": 1.0, "std": 0.0}, "folds": 1}


def test_scores_on_sure_labels_reuse_the_predictions_without_the_unsure_rows():
    from mlpkg.classify.cross_validation import on_rows, score_folds, summarize_folds

    # 40 articles in two folds, 10 koperasi stories: 8 found, 2 missed, 2 false alarms
    Y = np.zeros((40, 3), dtype=int)
    Y[:10, 0] = 1
    pred = Y.copy()
    pred[8:10, 0] = 0
    pred[10:12, 0] = 1
    proba = pred * 0.8 + 0.1
    folds = [("a", np.arange(0, 40, 2)), ("b", np.arange(1, 40, 2))]
    per_fold, pooled = score_folds(folds, proba, pred, np.full((40, 3), 0.5), Y, TAGS)
    result = {"proba": proba, "pred": pred, "cut": np.full((40, 3), 0.5), "Y": Y,
              "folds": per_fold, "pooled": pooled, "summary": summarize_folds(per_fold, TAGS)}
    assert pooled["per_label"]["koperasi"]["f1"] == pytest.approx(16 / 20, abs=1e-4)
    sure = np.ones(40, dtype=bool)
    sure[[9, 11]] = False  # a reader was unsure of one missed story and one false alarm
    restricted = on_rows(result, folds, sure, TAGS)
    assert restricted["pooled"]["n"] == 38 and [f["n"] for f in restricted["folds"]] == [20, 18]
    assert restricted["left_out"] == 2
    assert restricted["pooled"]["per_label"]["koperasi"]["f1"] == pytest.approx(2 * 8 / (2 * 8 + 1 + 1), abs=1e-4)
    only_b = on_rows(result, folds, np.arange(40) % 2 == 1, TAGS)  # a fold left with no row is no fold
    assert [f["fold"] for f in only_b["folds"]] == ["b"]


def test_a_confidence_column_of_other_values_is_refused_naming_the_key(topic_sample, tmp_path):
    rows = topic_sample.head(30).copy()
    rows["confidence"] = ["high", "", "maybe"] * 10
    path = tmp_path / "rows.parquet"
    rows.to_parquet(path)
    cfg = load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"data.path={path}"])
    with pytest.raises(DataError, match=r"row 3: confidence \(data.confidence_field\) must be one of high, low or "
                                        r"empty \(not read\), got 'maybe'"):
        load_split(cfg.data, None)
    other = load_config(ROOT / "configs" / "topic_tfidf.yaml", [f"data.path={path}", "data.confidence_field=null"])
    assert load_split(other.data, None).confidence == [] and load_split(other.data, None).sure_rows() is None
