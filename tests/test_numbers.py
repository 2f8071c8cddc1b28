"""Issue 22, items 1-8: every number a data scientist reads is right (one regression test per item)."""

from __future__ import annotations

import re

import pytest

from mlpkg.classify.lexicon_features import TagLexicon
from mlpkg.config import parse_config

TITLE = "Lampung Tuntas Bentuk 2.400 Koperasi Desa Merah Putih"
BODY = ("Provinsi Lampung mencatatkan capaian penuh dalam program nasional pembentukan Koperasi "
        "Desa/Kelurahan Merah Putih. Saat ini jumlahnya sudah mencapai sekitar 2.400 koperasi yang terbentuk.")


@pytest.mark.parametrize("term, hits", [
    (r"koperasi\Wdesa", (1, 1, 1)),  # \W: a space in feature text (lower-cased it was \w: no hit)
    (r"koperasi\S", (0, 0, 0)),  # \S: "koperasi" is followed by a space everywhere (lower-cased: \s, 3 hits)
    (r"putih\Z", (1, 0, 0)),  # \Z: the title's end (lower-cased: \z, an invalid pattern)
    (r"koperasi \D", (1, 2, 2)),  # \D: a word follows (lower-cased: \d, a number must follow: no hit)
])
def test_lexicon_patterns_compiled_case_insensitively_keep_upper_case_escapes(term, hits):
    lexicon = TagLexicon({"koperasi": [term]})
    assert lexicon.counts(f"{TITLE}\n{BODY}")["koperasi"][:3] == hits


def _topic_cfg(**evaluation):
    return parse_config({"model": {"name": "tfidf_linear.v1", "char_ngrams": []},
                         "data": {"labels": ["koperasi", "umkm", "pendidikan"]},
                         "evaluation": {"protocol": "cv", "report": False, **evaluation}}, "x.yaml")


def test_empty_fold_and_numeric_settings_are_checked(topic_sample):
    from mlpkg.classify.training import LabelledSplit, cv_folds
    from mlpkg.errors import ConfigError, DataError

    # three near-copy groups cannot fill five folds: a clear error, not an IndexError on an empty fold
    rows = topic_sample.head(9)
    data = LabelledSplit(list(rows.id), list(rows.text), [list(t) for t in rows.tags], [i % 3 for i in range(9)])
    with pytest.raises(DataError, match=r"3 near-copy groups cannot fill evaluation.cv_folds=5 folds"):
        cv_folds(_topic_cfg(), data, "group")
    for key, value, rule in [("evaluation.cv_folds", 1, ">= 2"), ("evaluation.publisher_min_rows", 0, ">= 1"),
                             ("thresholds.min_precision", 1.5, "> 0.0 and <= 1.0"),
                             ("thresholds.min_precision", 0, "> 0.0 and <= 1.0"),
                             ("thresholds.min_positives", -1, ">= 0"), ("evaluation.worst_errors", -5, ">= 0"),
                             ("data.max_train_rows", 0, ">= 1"), ("seed", -1, ">= 0")]:
        section, _, name = key.rpartition(".")
        raw = {"model": {"name": "tfidf_linear.v1"}}
        (raw.setdefault(section, {}) if section else raw)[name] = value
        with pytest.raises(ConfigError, match=rf"x\.yaml: {re.escape(key)} must be {re.escape(rule)}, got {value}"):
            parse_config(raw, "x.yaml")
