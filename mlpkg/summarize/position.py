"""LEAD-k: the first sentences of the article, the strongest baseline on news."""

from __future__ import annotations

import numpy as np

from ..core.registry import register
from .base import Summarizer
from .vectorized import Batch


@register("lead.v1")
class LeadSummarizer(Summarizer):
    """The first ``k`` sentences (skipping near-duplicates), or as many as a budget allows.

    >>> LeadSummarizer(k=1).fit().summarize("Koperasi tumbuh pesat. Anggotanya bertambah.")
    [['Koperasi tumbuh pesat.']]
    """

    def score_batch(self, batch: Batch) -> np.ndarray:
        return -batch.position.astype(np.float64)
