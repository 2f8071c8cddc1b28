"""The keyword rule as a scorer with the classifier interface, for side-by-side evaluation."""

from __future__ import annotations

import numpy as np

from ..data.keywords import keyword_count_matrix


class KeywordRule:
    """A tag when its keywords occur ``min_count`` times or more (title + body).

    The score is ``count / (count + min_count)``: 0.5 exactly at ``min_count`` hits, so the
    usual 0.5 threshold gives the rule, and precision-recall curves rank by count.
    """

    def __init__(self, labels: list[str], min_count: int = 3):
        self.labels_ = list(labels)
        self.min_count = min_count
        self.thresholds_ = {label: 0.5 for label in self.labels_}
        self.multi_label_ = True

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        counts = keyword_count_matrix(texts, self.labels_)
        return counts / (counts + self.min_count)
