"""Issue 25, round 5: trained_lgbm.v2 (trained_lgbm.v1 plus each article's category read from its text),
its category reader saved as plain arrays, and data.category_field, on real IndoSum articles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkg.config import load_config
from mlpkg.core.directory import load_arrays, load_model, save_arrays, write_manifest
from mlpkg.core.registry import resolve
from mlpkg.errors import ConfigError, DataError, ModelIntegrityError
from mlpkg.summarize.lgbm_category import READER_FILE, CategoryLightGBMExtractor
from mlpkg.summarize.lgbm_extractor import LightGBMExtractor
from mlpkg.summarize.vectorized import Batch

pytest.importorskip("lightgbm")
ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "summary_trained.yaml"


@pytest.fixture(scope="module")
def train(indosum) -> pd.DataFrame:
    return indosum[indosum.split == "train"].head(240)


@pytest.fixture(scope="module")
def model(train) -> CategoryLightGBMExtractor:
    return CategoryLightGBMExtractor(n_estimators=60).fit(
        [list(s) for s in train.sentences], [list(g) for g in train.gold],
        paragraphs=[list(p) for p in train.paragraph], references=[list(r) for r in train.summary],
        categories=list(train.category))


def test_trained_lgbm_v2_is_a_new_name_and_v1_is_unchanged(model):
    assert resolve("trained_lgbm.v2") is CategoryLightGBMExtractor and resolve("trained_lgbm.v1") is LightGBMExtractor
    assert CategoryLightGBMExtractor.uses_categories and not LightGBMExtractor.uses_categories
    v1_names = LightGBMExtractor().feature_names
    assert model.feature_names == [*v1_names, *(f"category={c}" for c in sorted(set(model.reader_.classes)))]
    assert model.booster_.num_feature() == len(v1_names) + len(model.reader_.classes)


def test_trained_lgbm_v2_reads_the_category_of_unseen_articles(model, indosum):
    test = indosum[indosum.split == "test"].head(200)
    docs = model.documents([list(s) for s in test.sentences])
    probabilities = model.reader_.probabilities(Batch(docs))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    read = model.reader_.classes[probabilities.argmax(axis=1)]
    assert (read == test.category.to_numpy()).mean() > 0.6  # six categories; tajuk utama alone is about 0.4


def test_trained_lgbm_v2_summarises_raw_text_and_round_trips_without_pickle(model, indosum, tmp_path):
    texts = list(indosum[indosum.split == "test"].text.head(8))
    summaries = model.summarize(texts)
    assert all(1 <= len(s) <= 5 for s in summaries)
    folder = model.save(tmp_path / "v2")
    listed = json.loads((folder / "manifest.json").read_text())["sha256"]
    assert READER_FILE in listed and "model.txt" in listed
    assert not [p for p in folder.iterdir() if p.suffix in (".pkl", ".pickle", ".joblib")]
    with np.load(folder / READER_FILE, allow_pickle=False) as arrays:  # plain arrays: no object array in it
        assert sorted(arrays.files) == ["buckets", "classes", "coef", "intercept"]
    loaded = load_model(folder)
    assert type(loaded) is CategoryLightGBMExtractor and loaded.summarize(texts) == summaries


@pytest.mark.parametrize("change", ["drop_a_class_name", "drop_a_bucket", "unsorted_buckets"])
def test_trained_lgbm_v2_refuses_reader_arrays_that_do_not_match(model, tmp_path, change):
    folder = model.save(tmp_path / "v2")
    arrays = load_arrays(folder / READER_FILE)
    if change == "drop_a_class_name":
        arrays["classes"] = arrays["classes"][:-1]
    elif change == "drop_a_bucket":
        arrays["buckets"] = arrays["buckets"][1:]
    else:
        arrays["buckets"] = arrays["buckets"][::-1].copy()
    save_arrays(folder / READER_FILE, arrays)
    write_manifest(folder)  # hashed as if saved so: the loader itself must refuse it
    with pytest.raises(ModelIntegrityError, match=READER_FILE):
        load_model(folder)


def test_trained_lgbm_v2_refuses_to_fit_without_categories(train):
    docs, gold = [list(s) for s in train.sentences], [list(g) for g in train.gold]
    with pytest.raises(DataError, match=r"E002.*categories="):
        CategoryLightGBMExtractor(n_estimators=5).fit(docs, gold)
    with pytest.raises(DataError, match="categories"):
        CategoryLightGBMExtractor(n_estimators=5).fit(docs, gold, categories=list(train.category)[:-1])
    with pytest.raises(DataError, match="two categories or more"):
        CategoryLightGBMExtractor(n_estimators=5).fit(docs, gold, categories=["olahraga"] * len(docs))
    with pytest.raises(DataError, match="too few articles per category.*'teknologi': 1"):
        CategoryLightGBMExtractor(n_estimators=5).fit(docs[:4], gold[:4], categories=["olahraga"] * 3 + ["teknologi"])


def test_data_category_field_is_validated():
    from mlpkg.summarize import training

    with pytest.raises(ConfigError, match="data.category_field"):  # v2 without the field
        load_config(CONFIG, overrides=["model.name=trained_lgbm.v2", "data.category_field=null"])
    cfg = load_config(CONFIG, overrides=["model.name=trained_lgbm.v2", "data.category_field=kategori"])
    with pytest.raises(DataError, match=r"data.category_field.*'kategori'.*allowed: .*'category'"):
        training._load(cfg, "train")


def test_trained_lgbm_v2_config_passes_the_categories_to_fit(monkeypatch):
    from mlpkg.summarize import training

    seen = {}
    original = CategoryLightGBMExtractor.fit

    def spy(self, *args, categories=None, **kwargs):
        seen["categories"] = categories
        return original(self, *args, categories=categories, **kwargs)

    monkeypatch.setattr(CategoryLightGBMExtractor, "fit", spy)
    cfg = load_config(CONFIG, overrides=["model.name=trained_lgbm.v2", "data.category_field=category",
                                         "model.n_estimators=5"])
    data = training._load(cfg, "train").subset(range(80))
    training._fit(training._new_model(cfg), data)
    assert seen["categories"] == data.categories and {"olahraga", "tajuk utama"} <= set(seen["categories"])


def test_trained_lgbm_v2_trains_from_a_config_and_its_card_says_it_learned_the_categories(indosum, tmp_path):
    from mlpkg.summarize.training import train_summarizer

    rows = pd.concat([indosum[indosum.split == s].head(n) for s, n in (("train", 160), ("dev", 40), ("test", 30))])
    rows.to_parquet(tmp_path / "s.parquet")
    cfg = load_config(CONFIG, overrides=["model.name=trained_lgbm.v2", "data.category_field=category",
                                         f"data.path={tmp_path / 's.parquet'}", f"output_dir={tmp_path / 'm'}",
                                         "data.fold_field=null", "model.n_estimators=30"])
    folder = Path(train_summarizer(cfg, log=lambda *_: None)["output_dir"])
    card = (folder / "README.md").read_text(encoding="utf-8")
    classes = sorted(set(rows[rows.split != "test"].category))
    assert "learned each article's category (column `category`: " + ", ".join(classes) + ")" in card
    assert "category_reader.npz" in card
    model = load_model(folder)
    assert model.reader_.classes.tolist() == classes and model.summarize(list(rows.text.tail(3)))
