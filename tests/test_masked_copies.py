"""tfidf_lexicon_vectors_masked.v1: positives learnt a second time with their tag's own words blanked
out, so a small-business story that never says "UMKM" still reads as umkm (keyword-free recall)."""

from pathlib import Path

import numpy as np
import pytest

from mlpkg.classify.evidence import sentence_shares
from mlpkg.classify.tfidf_masked import TfidfMaskedCopiesClassifier
from mlpkg.classify.tfidf_vectors import TfidfLexiconVectorsClassifier
from mlpkg.config import load_config
from mlpkg.core.directory import load_model
from mlpkg.evaluate.agreement import keyword_free_rows
from mlpkg.evaluate.metrics import tag_matrix
from mlpkg.text.normalize import article_text

HERE = Path(__file__).resolve().parent
CONFIG = load_config(HERE.parent / "configs" / "topic_tfidf.yaml")
TAGS = ["koperasi", "umkm", "pendidikan"]


def _texts(df) -> list[str]:
    return [article_text(t, b) for t, b in zip(df["title"], df["text"])]


@pytest.fixture(scope="module")
def pair(topic_sample):
    """The default's model class and the masked-copies one, fitted alike on the same rows."""
    texts, y = _texts(topic_sample), [list(t) for t in topic_sample["tags"]]
    return [cls(lexicon=CONFIG.model["lexicon"], max_features_word=5000).fit(texts, y, labels=TAGS)
            for cls in (TfidfLexiconVectorsClassifier, TfidfMaskedCopiesClassifier)]


def test_masked_copy_of_a_real_umkm_story_loses_its_tag_words_only(topic_sample):
    model = TfidfMaskedCopiesClassifier(lexicon=CONFIG.model["lexicon"])
    model.labels_ = TAGS
    texts = _texts(topic_sample)
    Y = tag_matrix([list(t) for t in topic_sample["tags"]], TAGS)
    rows, copies = model.masked_copies(texts, Y)
    assert rows and all(Y[i].any() for i in rows)  # positives only
    i, copy = next((i, c) for i, c in zip(rows, copies) if Y[i].tolist() == [0, 1, 0] and "UMKM" in texts[i])
    assert "UMKM" not in copy and "umkm" not in copy.lower()
    assert len(copy.split()) > 0.8 * len(texts[i].split())  # the rest of the story stays
    free = keyword_free_rows(copies, CONFIG.evaluation.core_terms, TAGS)
    assert free[[rows.index(i)], 1].all()


def test_masked_model_keeps_out_of_fold_scores_of_its_own_rows_only(pair, topic_sample):
    assert pair[1].oof_proba_.shape == (len(topic_sample), 3)


def test_masked_model_scores_keyword_free_umkm_stories_higher(pair, topics, topic_sample):
    """Held-out umkm stories that never say UMKM, UKM or usaha kecil (not in the fitted sample)."""
    held = topics[(topics["split"] != "train") & topics["tags"].map(lambda t: "umkm" in t)]
    texts = _texts(held)
    free = keyword_free_rows(texts, CONFIG.evaluation.core_terms, TAGS)[:, 1]
    assert not set(held["id"]) & set(topic_sample["id"]) and free.sum() >= 10
    plain, masked = (m.decision_function([t for t, f in zip(texts, free) if f])[:, 1] for m in pair)
    assert np.mean(masked) > np.mean(plain)
    assert np.mean(masked > plain) > 0.7


def test_masked_model_round_trips_and_its_evidence_stays_exact(pair, tmp_path):
    pair[1].save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    text = (HERE / "data" / "antara_koperasi_kalteng.txt").read_text(encoding="utf-8")
    assert type(loaded) is TfidfMaskedCopiesClassifier
    assert np.array_equal(loaded.predict_proba([text]), pair[1].predict_proba([text]))
    _, shares = sentence_shares(loaded, text)
    score = loaded.decision_function([text])[0] - loaded.intercept_
    assert np.allclose(shares.sum(axis=0), score, atol=0.05 * np.abs(score).max())
