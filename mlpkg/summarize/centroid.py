"""TF-IDF centroid summariser (Radev et al., 2004): sentences closest to the article's centre."""

from __future__ import annotations

import numpy as np

from ..core.estimator import Param
from .base import SELECTION_PARAMS, Summarizer
from .vectorized import Batch


class CentroidSummarizer(Summarizer):
    """Score = cosine between a sentence's TF-IDF vector and the sum of all of them.

    The title, when given, joins the centroid as ``title_weight`` more sentences: it names what the
    article is about.
    """

    registered_name = "centroid.v1"

    params = {
        **SELECTION_PARAMS,
        "title_weight": Param(float, 1.0, low=0.0, doc="the title counts as this many sentences in the centroid "
                                                       "(0 ignores it)"),
    }

    def __init__(self, *, k: int = 3, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7, title_weight: float = 1.0) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold)
        self.title_weight = title_weight

    def score_batch(self, batch: Batch) -> np.ndarray:
        return batch.centroid_cosine(self.title_weight)
