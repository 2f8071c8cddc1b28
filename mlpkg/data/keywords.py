"""Topic keyword patterns: used to find candidates for review and as the keyword-rule baseline."""

from __future__ import annotations

import re

import numpy as np

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


def keyword_count_matrix(texts: list[str], labels: list[str]) -> np.ndarray:
    """Keyword hits per text (rows) and label (columns; 0 for a label without keywords)."""
    return np.array([[len(TOPIC_KEYWORDS[t].findall(x)) if t in TOPIC_KEYWORDS else 0 for t in labels]
                     for x in texts], dtype=float).reshape(len(texts), len(labels))


def keyword_rule(texts: list[str], labels: list[str], min_count: int = 3) -> list[list[str]]:
    """The baseline a newsroom would write first: a tag when its words occur ``min_count``+ times."""
    hits = keyword_count_matrix(texts, labels) >= min_count
    return [[t for t, hit in zip(labels, row) if hit] for row in hits]
