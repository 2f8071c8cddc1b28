"""The title-and-lead block (``lead_block_chars``, ``lead_block_tags``): a second TF-IDF block over an
article's title and lead, read by the listed tags' classifiers only."""

import copy
from pathlib import Path

import numpy as np
import pytest

from mlpkg.classify.evidence import evidence, sentence_shares
from mlpkg.classify.lead_block import lead_portions
from mlpkg.classify.tfidf_agencies import TfidfAgencyNamesClassifier
from mlpkg.config import load_config
from mlpkg.core.directory import load_model
from mlpkg.errors import ConfigError, ParameterError
from mlpkg.text.normalize import article_text

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "topic_tfidf.yaml"
TAGS = ["koperasi", "umkm", "pendidikan"]
# Pesisir Barat 2022 (test split, umkm by reading, no umkm word): food sellers at a fuel-aid payout;
# "pedagang" in its first sentence
VENDORS_STORY = "bps_lampung_econ_2019_2025:1282742283"


@pytest.fixture(scope="module")
def texts_tags(topic_sample):
    texts = [article_text(t, b) for t, b in zip(topic_sample["title"], topic_sample["text"])]
    return texts, [list(t) for t in topic_sample["tags"]]


def fitted(texts_tags, **params):
    lexicon = load_config(CONFIG).model["lexicon"]
    return TfidfAgencyNamesClassifier(labels=TAGS, lexicon=lexicon, max_features_word=5000, **params).fit(*texts_tags)


@pytest.fixture(scope="module")
def pair(texts_tags):
    """The default's model class without and with a 300-character lead block for umkm, on the same rows."""
    return fitted(texts_tags), fitted(texts_tags, lead_block_chars=300, lead_block_tags=["umkm"])


@pytest.fixture(scope="module")
def held_out(topics) -> list[str]:
    rows = topics[topics["split"] == "test"].head(150)
    return [article_text(t, b) for t, b in zip(rows["title"], rows["text"])]


@pytest.fixture(scope="module")
def story(topics) -> str:
    row = topics[topics["id"] == VENDORS_STORY].iloc[0]
    assert list(row["tags"]) == ["umkm"]
    return article_text(row["title"], row["text"])


def test_lead_block_changes_only_the_listed_tags_scores(pair, held_out):
    plain, lead = pair
    before, after = plain.decision_function(held_out), lead.decision_function(held_out)
    umkm = TAGS.index("umkm")
    others = [j for j in range(len(TAGS)) if j != umkm]
    assert np.allclose(before[:, others], after[:, others], atol=1e-5)
    assert np.abs(before[:, umkm] - after[:, umkm]).max() > 0.05
    start, end = lead._lead_block_span()
    assert end - start > 100
    assert not lead.coef_[others, start:end].any() and lead.coef_[umkm, start:end].any()
    names = lead._feature_names()
    assert len(names) == lead.coef_.shape[1] and names[start].startswith("lead:")


def test_lead_block_model_round_trips(pair, held_out, tmp_path):
    lead = pair[1]
    lead.save(tmp_path / "m")
    assert (tmp_path / "m" / "vocab_lead.json").exists()
    loaded = load_model(tmp_path / "m")
    assert (loaded.lead_block_chars, list(loaded.lead_block_tags)) == (300, ["umkm"])
    assert np.array_equal(loaded.predict_proba(held_out), lead.predict_proba(held_out))


def test_lead_block_share_goes_to_the_title_and_the_lead_sentences(texts_tags, story):
    # unigrams: every feature lies inside one sentence, so the shares add up to the score exactly
    model = fitted(texts_tags, word_ngrams=[1, 1], lead_block_chars=120, lead_block_tags=["umkm"],
                   lead_block_weight=0.5)
    units, shares = sentence_shares(model, story)
    assert np.allclose(shares.sum(axis=0), model.decision_function([story])[0] - model.intercept_, atol=1e-3)
    without = copy.deepcopy(model)
    start, end = model._lead_block_span()
    without.coef_[:, start:end] = 0
    lead_part = shares - sentence_shares(without, story)[1]
    forms = [model._feature_form(u) for u in units]  # the story has no title line: every unit is a body sentence
    inside = np.array([bool(p) for p in lead_portions(forms, 120)])
    assert inside[0] and not inside.all()
    assert np.abs(lead_part[:, TAGS.index("umkm")][inside]).max() > 0
    assert not lead_part[~inside].any() and not lead_part[:, [0, 2]].any()
    assert evidence(model, [story], [["umkm"]])[0]["umkm"]


def test_lead_block_weight_scales_the_block(pair, texts_tags, story):
    lead = pair[1]
    half = fitted(texts_tags, lead_block_chars=300, lead_block_tags=["umkm"], lead_block_weight=0.5)
    start, end = lead._lead_block_span()
    assert half._lead_block_span() == (start, end)
    full_row, half_row = (m._blocks([story], fit=False).toarray()[0] for m in (lead, half))
    assert full_row[start:end].any()
    assert np.allclose(half_row[start:end], 0.5 * full_row[start:end])
    assert np.array_equal(np.delete(half_row, np.s_[start:end]), np.delete(full_row, np.s_[start:end]))


def test_lead_block_tags_name_the_allowed_tags():
    with pytest.raises(ConfigError, match=r"model\.lead_block_tags has 'umkn', not tags of the label set; "
                                          r"allowed: 'koperasi', 'umkm', 'pendidikan'"):
        load_config(CONFIG, ["model.lead_block_chars=300", "model.lead_block_tags=[umkn]"])
    with pytest.raises(ConfigError, match=r"lead_block_tags is set but lead_block_chars is null"):
        load_config(CONFIG, ["model.lead_block_chars=null", "model.lead_block_tags=[umkm]"])
    with pytest.raises(ConfigError, match=r"lead_block_chars is set but lead_block_tags is empty"):
        load_config(CONFIG, ["model.lead_block_chars=300", "model.lead_block_tags=[]"])
    with pytest.raises(ConfigError, match=r"model\.lead_block_chars: must be >= 50, got 10"):
        load_config(CONFIG, ["model.lead_block_chars=10", "model.lead_block_tags=[umkm]"])


def test_lead_block_tags_are_checked_at_fit(texts_tags):
    with pytest.raises(ParameterError, match=r"lead_block_chars is set but lead_block_tags is empty"):
        fitted(texts_tags, lead_block_chars=300)
    with pytest.raises(ParameterError, match=r"'sekolah', not tags of the label set; allowed: 'koperasi'"):
        fitted(texts_tags, lead_block_chars=300, lead_block_tags=["sekolah"])
