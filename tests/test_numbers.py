"""Issue 22, items 1-8: every number a data scientist reads is right (one regression test per item)."""

from __future__ import annotations

import pytest

from mlpkg.classify.lexicon_features import TagLexicon

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
