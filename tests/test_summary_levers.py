"""Issue 25's levers on trained_lgbm.v1 (benchmarks/summary_levers.py), on real IndoSum articles."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpkg.summarize import Document
from mlpkg.summarize.vectorized import Batch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from summary_levers import (  # noqa: E402
    CATEGORIES,
    CONTEXT_FEATURE_NAMES,
    HOOK_FEATURE_NAMES,
    KEY_TERM_FEATURE_NAMES,
    LEAD_FEATURE_NAMES,
    SOURCES,
    VECTOR_FEATURE_NAMES,
    PredictedCategoryExtractor,
    StackedExtractor,
    hook_features,
    key_term_features,
    lead_features,
    lead_skip_rates,
    outlet_features,
    outlets_by_first_sentence,
    topic_lexicon,
    vector_features,
)


@pytest.fixture(scope="module")
def articles() -> pd.DataFrame:
    return pd.read_parquet(ROOT / "data" / "indosum.parquet")


def test_vector_features_compare_each_sentence_with_its_article(articles):
    sentences = list(articles.sentences.iloc[0])
    features = vector_features(Batch([Document.from_sentences(sentences)]))
    column = dict(zip(VECTOR_FEATURE_NAMES, features.T))
    assert features.shape == (len(sentences), len(VECTOR_FEATURE_NAMES)) and np.isfinite(features).all()
    assert column["vector_first_cosine"][0] == pytest.approx(1.0)
    assert column["vector_previous_cosine"][0] == 0.0 and (column["vector_previous_cosine"][1:] > 0).all()
    assert (column["vector_rest_cosine"] < column["vector_article_cosine"] + 1e-9).all()
    assert ((column["out_of_vocabulary_share"] >= 0) & (column["out_of_vocabulary_share"] <= 1)).all()


def test_hook_features_flag_a_lead_that_asks_the_reader(articles):
    hooks = articles[articles.sentences.map(lambda s: s[0].rstrip().endswith("?") and " Anda " in s[0])]
    sentences = list(hooks.sentences.iloc[0])
    column = dict(zip(HOOK_FEATURE_NAMES, hook_features(Batch([Document.from_sentences(sentences)])).T))
    assert column["question"][0] == 1 and column["addresses_reader"][0] == 1
    assert (column["lead_question"] == 1).all() and (column["lead_addresses_reader"] == 1).all()
    assert column["previous_question"][1] == 1 and column["previous_question"][0] == 0


def test_stacked_extractor_scores_sentences_in_their_article_context(articles):
    pytest.importorskip("lightgbm")
    train, test = articles.iloc[:200], articles.iloc[200:230]
    model = StackedExtractor(n_estimators=30).fit([list(s) for s in train.sentences], [list(g) for g in train.gold],
                                                  paragraphs=[list(p) for p in train.paragraph])
    assert model.booster_.num_feature() == len(model.stage1_.feature_names) + len(CONTEXT_FEATURE_NAMES)
    docs = model.documents([list(s) for s in test.sentences], paragraphs=[list(p) for p in test.paragraph])
    chosen = model.choose(docs)
    assert all(2 <= len(c) <= 5 and c == sorted(c) for c in chosen)


def _article(articles: pd.DataFrame, article_id: str) -> list[str]:
    return list(articles.set_index("id").sentences[article_id])


def test_key_term_features_count_the_words_the_article_keeps_coming_back_to(articles):
    calya_id = "1471852823-belum-sebulan-penjualan-toyota-calya-sudah-lampaui"
    sentences, paragraphs = _article(articles, calya_id), list(articles.set_index("id").paragraph[calya_id])
    features = key_term_features(Batch([Document.from_sentences(sentences, paragraphs)]), topic_lexicon())
    column = dict(zip(KEY_TERM_FEATURE_NAMES, features.T))
    assert features.shape == (len(sentences), len(KEY_TERM_FEATURE_NAMES)) and np.isfinite(features).all()
    calya = [i for i, s in enumerate(sentences) if "Calya" in s]  # the car the article is about
    assert all(column["key_terms"][i] >= 1 for i in calya)
    assert ((column["key_term_share"] >= 0) & (column["key_term_share"] <= 1)).all()
    assert column["key_terms_minus_lead"][0] == 0
    # "8.000 unit" is in sentences 2 and 5 (and 7): a number the rest of the article repeats.
    assert column["shared_numbers"][1] >= 1 and column["shared_numbers"][4] >= 1
    assert (column["tag_lexicon_hits"] == 0).all()  # a car sale: none of the topic lexicon


def test_key_term_features_count_the_topic_lexicon_of_the_articles_tag(articles):
    sentences = _article(articles, "1472796021-sekolah-dasar-belgia-ganti-pokemon-dengan-buku")
    column = dict(zip(KEY_TERM_FEATURE_NAMES,
                      key_term_features(Batch([Document.from_sentences(sentences)]), topic_lexicon()).T))
    school = [i for i, s in enumerate(sentences) if "sekolah" in s.lower()]
    assert school and all(column["tag_lexicon_hits"][i] >= 1 for i in school)
    assert column["tag_lexicon_share"].max() <= 1


def test_lead_features_see_the_outlets_dateline_on_every_sentence(articles):
    cnn, dailysocial = articles.sentences.iloc[5], articles.sentences.iloc[817]
    assert articles.source.iloc[5] == "cnn indonesia" and articles.source.iloc[817] == "dailysocial.id"
    batch = Batch([Document.from_sentences(list(cnn)), Document.from_sentences(list(dailysocial))])
    column = dict(zip(LEAD_FEATURE_NAMES, lead_features(batch).T))
    assert (column["lead_dateline"][batch.doc == 0] == 1).all() and (column["lead_dateline"][batch.doc == 1] == 0).all()
    words = [w for w in dailysocial[0].split() if any(c.isalnum() for c in w)]  # not the commas and the stop
    assert (column["lead_words"][batch.doc == 1] == len(words)).all()
    assert ((column["lead_second_cosine"] >= 0) & (column["lead_second_cosine"] <= 1 + 1e-9)).all()


def test_outlet_features_are_the_articles_source_and_category_one_hot(articles):
    outlets = outlets_by_first_sentence(ROOT / "data" / "indosum.parquet")
    row = articles.iloc[817]
    rows = outlet_features(Batch([Document.from_sentences(list(row.sentences))]), outlets)
    names = [*SOURCES, *CATEGORIES]
    assert rows.shape == (len(row.sentences), len(names)) and (rows.sum(axis=1) == 2).all()
    assert rows[0, names.index("dailysocial.id")] == 1 and rows[0, names.index(row.category)] == 1
    unknown = outlet_features(Batch([Document.from_sentences(["Kalimat yang tidak ada di IndoSum."])]), outlets)
    assert (unknown == 0).all()


def test_predicted_category_extractor_feeds_the_category_it_reads_from_the_text(articles):
    pytest.importorskip("lightgbm")
    train, test = articles.iloc[:300], articles.iloc[300:330]
    PredictedCategoryExtractor.outlets = outlets_by_first_sentence(ROOT / "data" / "indosum.parquet")
    model = PredictedCategoryExtractor(n_estimators=30).fit([list(s) for s in train.sentences],
                                                            [list(g) for g in train.gold],
                                                            paragraphs=[list(p) for p in train.paragraph])
    assert model.booster_.num_feature() == len(model.feature_names)
    assert set(model.readers_['category'].classes_) <= set(CATEGORIES)
    docs = model.documents([list(s) for s in test.sentences], paragraphs=[list(p) for p in test.paragraph])
    probabilities = model._batch_features(Batch(docs))[:, -len(CATEGORIES):]
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    read = np.array(CATEGORIES)[probabilities[Batch(docs).offsets[:-1]].argmax(axis=1)]
    assert (read == test.category.to_numpy()).mean() > 0.5  # six categories: chance is far below
    assert all(2 <= len(c) <= 5 and c == sorted(c) for c in model.choose(docs))


def test_lead_skip_rates_count_the_articles_whose_reference_skips_sentence_one(articles):
    table = lead_skip_rates(ROOT / "data" / "indosum.parquet")
    skipped = sum(not g[0] for g in articles.gold)
    assert f"skips the first sentence in {skipped} " in table
    assert all(f"| source | {source} |" in table for source in articles.source.unique())
    share = 100 * np.mean([not g[0] for g in articles[articles.source == "dailysocial.id"].gold])
    assert f"| source | dailysocial.id | {int((articles.source == 'dailysocial.id').sum()):,} | {share:.1f} |" in table
