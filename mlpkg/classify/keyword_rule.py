"""The keyword rule, the baseline every table compares against: a tag when the terms of its lexicon
(the config's ``model.lexicon``, the one source of topic terms) occur ``min_count`` times or more.

Terms are counted as the model's lexicon features count them (:class:`~.lexicon_features.TagLexicon`:
feature-form text, each term at a word start, title and body once each), so a new tag's rule is
its lexicon, and a tag without terms is never given by the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .lexicon_features import TagLexicon


def keyword_hits(texts: Sequence[str], labels: list[str], lexicon: dict[str, list[str]]) -> np.ndarray:
    """Term hits in title and body per text (rows) and label (columns; 0 for a label without terms).

    >>> keyword_hits(["Koperasi desa\\nRapat anggota koperasi."], ["koperasi", "umkm"], {"koperasi": ["koperasi"]})
    array([[2., 0.]])
    """
    own = {tag: terms for tag, terms in (lexicon or {}).items() if tag in labels and terms}
    out = np.zeros((len(texts), len(labels)))
    if not own:
        return out
    lex = TagLexicon(own)
    columns = [labels.index(tag) for tag in lex.tags]
    for i, text in enumerate(texts):
        out[i, columns] = [title + body for title, _, body, _ in lex.counts(text).values()]
    return out


def keyword_rule(texts: Sequence[str], labels: list[str], lexicon: dict[str, list[str]],
                 min_count: int = 3) -> list[list[str]]:
    """The baseline a newsroom would write first: a tag when its terms occur ``min_count``+ times."""
    hits = keyword_hits(texts, labels, lexicon) >= min_count
    return [[t for t, hit in zip(labels, row) if hit] for row in hits]


class KeywordRule:
    """:func:`keyword_rule` as a scorer with the classifier interface, for side-by-side evaluation.

    The score is ``count / (count + min_count)``: 0.5 exactly at ``min_count`` hits, so the
    usual 0.5 threshold gives the rule, and precision-recall curves rank by count.
    """

    def __init__(self, labels: list[str], lexicon: dict[str, list[str]], min_count: int = 3):
        self.classes_ = list(labels)
        self.lexicon = lexicon
        self.min_count = min_count
        self.thresholds_ = {label: 0.5 for label in self.classes_}
        self.multi_label_ = True

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        counts = keyword_hits(texts, self.classes_, self.lexicon)
        return counts / (counts + self.min_count)
