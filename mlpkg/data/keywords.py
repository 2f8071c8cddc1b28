"""Topic keyword patterns: used to find candidates for review and as the keyword-rule baseline."""

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


def keyword_counts(text: str) -> dict[str, int]:
    return {tag: len(rx.findall(text)) for tag, rx in TOPIC_KEYWORDS.items()}


def keyword_rule(texts: list[str], labels: list[str], min_count: int = 3) -> list[list[str]]:
    """The baseline a newsroom would write first: a tag when its words occur ``min_count``+ times."""
    return [
        [t for t in labels if t in TOPIC_KEYWORDS and len(TOPIC_KEYWORDS[t].findall(x)) >= min_count] for x in texts
    ]
