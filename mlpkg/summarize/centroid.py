"""TF-IDF centroid summariser (Radev et al., 2004): sentences closest to the article's centre."""

from __future__ import annotations

import numpy as np

from ..models.base import Param
from .base import SELECTION_PARAMS, Summarizer
from .batch import Batch


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

    def score_batch(self, batch: Batch) -> np.ndarray:
        return batch.centroid_cosine(self.title_weight)
