"""Every registered name is a scikit-learn estimator: scikit-learn's own checks, then the checks it runs on
numeric arrays, redone on Indonesian text (its generated data are numbers, and our models read text).

``__sklearn_tags__`` declares string input (``input_tags.string``, no ``two_d_array``), so
``parametrize_with_checks`` runs ``check_estimator_cloneable`` and skips the rest of its suite, whose checks
fit on generated numeric matrices (what it does for ``CountVectorizer``). The checks of the API that need no
data are called one by one; each of the data checks has a text twin below.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError as SklearnNotFitted
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_estimator_tags_renamed,
    check_get_params_invariance,
    check_mixin_order,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
    parametrize_with_checks,
)
from sklearn.utils.validation import check_is_fitted
from summary_helpers import fit_extras

from mlpkg.core.registry import registered_names, resolve
from mlpkg.errors import NotFittedError
from mlpkg.text.normalize import article_text

TAGS = ["koperasi", "umkm", "pendidikan"]
FAST = {
    "tfidf_linear.v1": {"char_ngrams": [3, 4], "max_features_word": 5000, "max_features_char": 5000},
    "tfidf_lexicon.v1": {"lexicon": {"koperasi": ["koperasi"], "umkm": ["umkm\\b"], "pendidikan": ["sekolah"]}},
    "tfidf_lexicon_vectors.v1": {"lexicon": {"koperasi": ["koperasi"]}},
    "trained_extractor.v1": {"max_iter": 20},
    "trained_lgbm.v1": {"n_estimators": 20},
    "trained_lgbm.v2": {"n_estimators": 20},
    "trained_lgbm.v3": {"n_estimators": 20, "rerank_rounds": 10},
}
# fine-tuning a transformer per check is minutes; tests/test_contract.py fits them once (tiny local BERT)
FINE_TUNED = {"indobert_classifier.v1", "indobert_extractor.v1"}
ESTIMATORS = [resolve(name)(**FAST.get(name, {})) for name in registered_names()]
API_CHECKS = [check_estimator_repr, check_no_attributes_set_in_init, check_get_params_invariance, check_set_params,
              check_parameters_default_constructible, check_do_not_raise_errors_in_init_or_set_params,
              check_mixin_order, check_valid_tag_types, check_estimator_tags_renamed]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.registered_name)
def test_scikit_learn_api_checks_that_need_no_data(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.registered_name)
def test_tags_declare_text_input_and_the_model_kind(estimator):
    tags = get_tags(estimator)
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert is_classifier(estimator) == (estimator.kind == "classifier")
    assert tags.target_tags.required == (estimator.kind == "classifier" or estimator.needs_training)
    if is_classifier(estimator):
        assert tags.classifier_tags.multi_label


def _tagged(topic_sample):
    rows = topic_sample.head(120)
    return [article_text(t, b) for t, b in zip(rows.title, rows.text)], [list(t) for t in rows.tags]


def _fit_and_output(model, topic_sample, indosum):
    """(fitted model, its output on held-out input): probabilities, or summaries."""
    if model.kind == "classifier":
        texts, y = _tagged(topic_sample)
        assert model.fit(texts[:100], y[:100]) is model
        return model, model.predict_proba(texts[100:])
    train = indosum[indosum.split == "train"].head(40)
    docs, gold = [list(s) for s in train.sentences], [list(g) for g in train.gold]
    assert (model.fit(docs, gold, **fit_extras(model, train)) if model.needs_training else model.fit()) is model
    return model, model.summarize(list(indosum[indosum.split == "test"].head(5).text))


TEXT_MODELS = [e for e in ESTIMATORS if e.registered_name not in FINE_TUNED]


@pytest.mark.parametrize("estimator", TEXT_MODELS, ids=lambda e: e.registered_name)
def test_fit_checks_on_text(estimator, topic_sample, indosum):
    """check_estimators_unfitted, check_fit_check_is_fitted, check_dont_overwrite_parameters,
    check_estimators_overwrite_params, check_fit_idempotent and check_estimators_fit_returns_self, on text."""
    model = clone(estimator)
    with pytest.raises(SklearnNotFitted):
        check_is_fitted(model)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_proba(["Koperasi desa"]) if model.kind == "classifier" else model.summarize("Koperasi desa.")
    params = repr(model.get_params())
    fitted, first = _fit_and_output(model, topic_sample, indosum)
    check_is_fitted(fitted)
    assert repr(fitted.get_params()) == params  # fit changes no hyperparameter
    assert not [k for k in vars(fitted) if k not in fitted.get_params() and not k.endswith("_") and
                not k.startswith("_")]  # every attribute fit adds ends in "_"
    _, again = _fit_and_output(fitted, topic_sample, indosum)
    if fitted.kind == "classifier":
        np.testing.assert_allclose(again, first, rtol=1e-6)
    else:
        assert again == first
    assert not hasattr(clone(fitted), "is_fitted_")  # a clone is unfitted


@pytest.mark.parametrize("estimator", [e for e in TEXT_MODELS if is_classifier(e)], ids=lambda e: e.registered_name)
def test_classifier_checks_on_text(estimator, topic_sample):
    """check_classifiers_classes and the multi-label output format, on text: classes_ in column order,
    predict an indicator matrix; tag lists and the 0/1 matrix of the same tags fit the same model."""
    texts, y = _tagged(topic_sample)
    Y = MultiLabelBinarizer(classes=TAGS).fit_transform(y)
    on_lists = clone(estimator).set_params(labels=TAGS).fit(texts, y)
    on_matrix = clone(estimator).set_params(labels=TAGS).fit(texts, Y)
    assert on_lists.classes_.tolist() == on_matrix.classes_.tolist() == TAGS
    np.testing.assert_allclose(on_matrix.predict_proba(texts), on_lists.predict_proba(texts), rtol=1e-6)
    pred = on_matrix.predict(texts)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    assert on_matrix.predict_tags(texts) == [[t for t, hit in zip(TAGS, row) if hit] for row in pred]
    assert 0.5 < on_matrix.score(texts, Y) <= 1  # ClassifierMixin.score: subset accuracy on its training rows
