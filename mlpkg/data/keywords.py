"""The fixed patterns the corpus build (:mod:`.build`) used to find candidate articles for review.

They stay as they were so that ``mlpkg build-data`` rebuilds ``data/`` byte for byte. Nothing else
reads them: the keyword-rule baseline and the label queue count the terms of the config's
``model.lexicon`` (:mod:`mlpkg.classify.keyword_rule`).
"""

from __future__ import annotations

import re

TOPIC_KEYWORDS = {
    "koperasi": re.compile(r"\bkoperasi|\bkopdes\b|\bKSP\b|\bKSU\b|\bKUD\b|credit union|kemenkop|\binkop", re.I),
    "umkm": re.compile(
        r"\bumkm\b|\bukm\b|\bikm\b|\bumk\b|usaha mikro|usaha kecil|industri kecil|\bKUR\b|"
        r"kredit usaha rakyat|pelaku usaha kecil",
        re.I,
    ),
    "pendidikan": re.compile(
        r"\bsekolah|\bguru\b|\bsiswa\b|mahasiswa|universitas|\bkampus|pendidikan|\bmadrasah|"
        r"beasiswa|kurikulum|\bsnbt|\bsnbp|\bppdb|\bspmb|\bdosen\b|pelajar",
        re.I,
    ),
}
