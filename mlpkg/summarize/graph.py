"""Graph ranking: TextRank (Mihalcea & Tarau, 2004) and LexRank (Erkan & Radev, 2004).

Sentences are nodes, edges are the cosine similarities of their TF-IDF vectors, and a
sentence's score is its PageRank, computed by power iteration. TextRank keeps the weighted
edges; LexRank keeps only the edges at or above a similarity threshold, unweighted. The graphs of
a whole batch of articles are ranked together, as one block-diagonal matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..core.estimator import Param
from .base import SELECTION_PARAMS, Summarizer
from .vectorized import Batch


def pagerank(weights, groups: np.ndarray | None = None, damping: float = 0.85, tol: float = 1e-6,
             max_iter: int = 100) -> np.ndarray:
    """Stationary distribution of the random walk on ``weights`` (rows need not sum to one).

    With ``groups`` (the graph of each node), ``weights`` is block-diagonal and each graph is ranked
    on its own. A node without out-edges jumps anywhere in its graph uniformly.

    >>> pagerank(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)).round(3).tolist()
    [0.486, 0.257, 0.257]
    """
    weights = sp.csr_matrix(weights, dtype=np.float64)
    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    groups = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    n_groups = int(groups.max()) + 1
    size = np.bincount(groups, minlength=n_groups)[groups].astype(np.float64)
    out = np.asarray(weights.sum(axis=1)).ravel()
    dangling = (out <= 0).astype(np.float64)
    step = (damping * (sp.diags(1.0 / np.where(out > 0, out, 1.0)) @ weights)).T.tocsr()
    rank = 1.0 / size
    for _ in range(max_iter):
        lost = np.bincount(groups, weights=rank * dangling, minlength=n_groups)[groups]
        new = step @ rank + (damping * lost + 1.0 - damping) / size
        change = np.bincount(groups, weights=np.abs(new - rank), minlength=n_groups)
        rank = new
        if change.max() < tol:
            break
    return rank


class GraphSummarizer(Summarizer):
    params = {
        **SELECTION_PARAMS,
        "damping": Param(float, 0.85, low=0.0, high=1.0, doc="PageRank damping factor"),
        "threshold": Param(float, 0.0, low=0.0, high=1.0, doc="edges with a cosine below this are dropped"),
        "binary": Param(bool, False, doc="unweighted edges (LexRank) instead of cosine weights (TextRank)"),
    }

    def __init__(self, *, k: int = 3, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7, damping: float = 0.85,
                 threshold: float = 0.0, binary: bool = False) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold)
        self.damping = damping
        self.threshold = threshold
        self.binary = binary

    def score_batch(self, batch: Batch) -> np.ndarray:
        sim = batch.similarity
        if self.threshold > 0:
            sim = sim.multiply(sim >= self.threshold).tocsr()
        if self.binary:
            sim = sim.copy()
            sim.data[:] = 1.0
        return pagerank(sim, batch.doc, self.damping)


class TextRankSummarizer(GraphSummarizer):
    """PageRank over the weighted cosine-similarity graph of the sentences."""

    registered_name = "textrank.v1"


class LexRankSummarizer(GraphSummarizer):
    """PageRank over the graph of sentence pairs whose cosine is at least ``threshold`` (0.1)."""

    registered_name = "lexrank.v1"

    params = {
        **GraphSummarizer.params,
        "threshold": Param(float, 0.1, low=0.0, high=1.0, doc="edges with a cosine below this are dropped"),
        "binary": Param(bool, True, doc="unweighted edges (LexRank) instead of cosine weights (TextRank)"),
    }

    def __init__(self, *, k: int = 3, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7, damping: float = 0.85,
                 threshold: float = 0.1, binary: bool = True) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold, damping=damping, threshold=threshold, binary=binary)
