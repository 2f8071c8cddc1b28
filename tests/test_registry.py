"""The registry is a lazy name -> "module:Class" map (its imports: tests/test_imports.py); every name resolves."""

import pytest

from mlpkg.core.registry import REGISTRY, registered_names, resolve


@pytest.mark.parametrize("name", registered_names())
def test_every_registered_name_resolves_to_a_class_of_that_name(name):
    assert resolve(name).registered_name == name


def test_registered_names_are_unchanged():
    assert set(REGISTRY) == {
        "tfidf_linear.v1", "tfidf_lexicon.v1", "tfidf_lexicon_vectors.v1", "tfidf_lexicon_vectors_agencies.v1",
        "indobert_classifier.v1", "lead.v1",
        "centroid.v1", "textrank.v1", "lexrank.v1", "trained_extractor.v1", "trained_lgbm.v1", "indobert_extractor.v1",
    }
