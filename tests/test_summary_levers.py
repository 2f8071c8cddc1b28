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
    CONTEXT_FEATURE_NAMES,
    HOOK_FEATURE_NAMES,
    VECTOR_FEATURE_NAMES,
    StackedExtractor,
    hook_features,
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
