"""The private scikit-learn names mlpkg reads, one test each (pyproject.toml's ``scikit-learn<1.10`` names them).

Each fails loudly when a scikit-learn release changes what mlpkg reads; then update the code that reads it
(named in the message) and raise the bound.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer


def why(name: str, reader: str) -> str:
    return (f"scikit-learn {sklearn.__version__} changed {name}, which {reader} reads; update it, then the "
            "scikit-learn bound in pyproject.toml")


@pytest.fixture(scope="module")
def boosted() -> HistGradientBoostingClassifier:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return HistGradientBoostingClassifier(max_iter=3, max_depth=2, random_state=0).fit(X, X[:, 0] > 0)


def test_hist_gradient_boosting_predictors_are_one_tree_per_iteration(boosted):
    predictors = getattr(boosted, "_predictors", None)
    message = why("HistGradientBoostingClassifier._predictors", "BoostedTrees.from_sklearn (summarize/trees.py)")
    assert isinstance(predictors, list) and len(predictors) == boosted.n_iter_, message
    assert all(isinstance(trees, list) and len(trees) == 1 for trees in predictors), message


def test_tree_predictor_nodes_have_the_fields_the_export_reads(boosted):
    nodes = getattr(boosted._predictors[0][0], "nodes", None)
    message = why("TreePredictor.nodes", "BoostedTrees.from_sklearn (summarize/trees.py)")
    assert isinstance(nodes, np.ndarray) and nodes.dtype.names, message
    floats, ints = ("value", "num_threshold"), ("feature_idx", "left", "right", "depth", "is_leaf")
    assert set(floats + ints) <= set(nodes.dtype.names), message
    assert all(np.issubdtype(nodes.dtype[f], np.floating) for f in floats), message
    assert all(np.issubdtype(nodes.dtype[f], np.integer) for f in ints), message


def test_hist_gradient_boosting_baseline_prediction_is_one_number(boosted):
    baseline = np.asarray(getattr(boosted, "_baseline_prediction", None))
    message = why("HistGradientBoostingClassifier._baseline_prediction",
                  "BoostedTrees.from_sklearn (summarize/trees.py)")
    assert baseline.size == 1 and np.issubdtype(baseline.dtype, np.floating), message


def test_tfidf_vectorizer_private_tfidf_weighs_counts_as_transform_does(topic_sample):
    """word_ngrams.word_tfidf and CachedCharNgrams count n-grams themselves and weigh the counts with the
    vectorizer's private ``_tfidf``; a model loaded from its folder gets ``_tfidf`` by setting ``idf_``."""
    texts = topic_sample["text"].head(40).tolist()
    fitted = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=False, dtype=np.float32).fit(texts)
    loaded = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=False, dtype=np.float32)
    loaded.vocabulary_, loaded.idf_ = fitted.vocabulary_, fitted.idf_  # as TfidfClassifier._from_state does
    counts = CountVectorizer(ngram_range=(1, 2), lowercase=False, vocabulary=fitted.vocabulary_).transform(texts)
    message = why("TfidfVectorizer._tfidf", "word_ngrams.word_tfidf and text_features.CachedCharNgrams (classify/)")
    for vectorizer in (fitted, loaded):
        assert isinstance(getattr(vectorizer, "_tfidf", None), TfidfTransformer), message
        weighed = vectorizer._tfidf.transform(counts.astype(np.float32), copy=False)
        assert np.allclose(weighed.toarray(), fitted.transform(texts).toarray(), atol=1e-6), message
