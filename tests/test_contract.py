"""One contract for every registered estimator: keyword-only parameters, get/set_params, clone, fit, save/load."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from sklearn.base import clone
from summary_helpers import fit_extras

from mlpkg.core.directory import load_model
from mlpkg.core.registry import registered_names, resolve
from mlpkg.errors import ParameterError
from mlpkg.text.normalize import article_text

TAGS = ["koperasi", "umkm", "pendidikan"]
# Small, fast settings per registered name (the defaults are sized for the real corpus)
FAST = {
    "tfidf_linear.v1": {"char_ngrams": [3, 4], "max_features_word": 5000, "max_features_char": 5000},
    "tfidf_lexicon.v1": {"lexicon": {"koperasi": ["koperasi"], "umkm": ["umkm\\b"], "pendidikan": ["sekolah"]}},
    "indobert_classifier.v1": {"max_length": 64, "long_text": "head", "epochs": 1, "batch_size": 8, "verbose": False},
    "trained_extractor.v1": {"max_iter": 20},
    "indobert_extractor.v1": {"max_length": 64, "max_windows": 1, "inter_layers": 0, "epochs": 1, "verbose": False},
}


def _as_json(params: dict) -> str:
    """Parameters as a saved model stores them (a tuple default reads back as a list)."""
    return json.dumps(params, sort_keys=True)


@pytest.mark.parametrize("name", registered_names())
def test_init_is_keyword_only_and_matches_the_params_table(name):
    cls = resolve(name)
    signature = inspect.signature(cls.__init__)
    args = [p for p in signature.parameters.values() if p.name != "self"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in args)
    assert [p.name for p in args] == list(cls.params)
    assert {p.name: p.default for p in args} == {k: spec.default for k, spec in cls.params.items()}


@pytest.mark.parametrize("name", registered_names())
def test_get_params_set_params_and_clone_round_trip(name):
    cls = resolve(name)
    model = cls()
    params = model.get_params()
    assert params == {k: spec.default for k, spec in cls.params.items()}
    copy = clone(model)
    assert type(copy) is cls and copy is not model and copy.get_params() == params
    assert cls(**params).get_params() == params
    name_, value = next((k, v) for k, v in params.items() if isinstance(v, int) and not isinstance(v, bool))
    assert model.set_params(**{name_: value + 1}) is model and model.get_params()[name_] == value + 1
    assert copy.get_params()[name_] == value  # the clone does not share state
    with pytest.raises(ParameterError, match="unknown parameter"):
        model.set_params(no_such_parameter=1)


@pytest.mark.parametrize("name", registered_names())
def test_fit_save_load_round_trip(name, topic_sample, indosum, request, tmp_path):
    cls = resolve(name)
    params = dict(FAST.get(name, {}))
    if cls.extra == "bert":
        params["model_name_or_path"] = request.getfixturevalue("tiny_bert")
    model = cls(**params)
    if model.kind == "classifier":
        rows = topic_sample.head(120)
        texts, y = [article_text(t, b) for t, b in zip(rows.title, rows.text)], [list(t) for t in rows.tags]
        dev = (texts[:20], y[:20])
        model.set_params(labels=TAGS)
        assert model.fit(texts, y, dev=dev) is model  # every classifier takes dev (or ignores it)
        predict = "predict_proba"
    else:
        train, test = indosum[indosum.split == "train"].head(60), indosum[indosum.split == "test"].head(5)
        texts = list(test.text)
        if model.needs_training:
            docs, gold = [list(s) for s in train.sentences], [list(g) for g in train.gold]
            assert model.fit(docs, gold, dev=(docs[:10], gold[:10]), **fit_extras(model, train)) is model
        else:
            assert model.fit() is model
        predict = "summarize"
    loaded = load_model(model.save(tmp_path / "m"))
    assert type(loaded) is cls and loaded.registered_name == name
    assert _as_json(loaded.get_params()) == _as_json(model.get_params())
    before, after = getattr(model, predict)(texts), getattr(loaded, predict)(texts)
    if model.kind == "classifier":
        np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)
    else:
        assert after == before
