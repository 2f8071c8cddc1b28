"""Choosing the summary sentences from any scorer's scores: length, MMR and near-duplicates.

Maximal Marginal Relevance (Carbonell & Goldstein, 1998) picks, one at a time, the sentence
with the best ``lambda * relevance - (1 - lambda) * max similarity to those already chosen``;
``lambda = 1`` is plain ranking by relevance. Whatever ``lambda`` is, a sentence whose words
overlap a chosen one by ``duplicate_threshold`` or more (Jaccard) is never taken: scraped bodies
are sometimes stored twice.
"""

from __future__ import annotations

import numpy as np

from .vectorized import Batch


def jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def is_near_duplicate(words: set, chosen: list[set], threshold: float) -> bool:
    """Whether a sentence of ``words`` overlaps one of the ``chosen`` word sets by ``threshold`` or more (Jaccard)."""
    return any(jaccard(words, other) >= threshold for other in chosen)


def rank_sentences(batch: Batch, scores: np.ndarray) -> np.ndarray:
    """Indices of the batch's sentences grouped by document, best score first.

    Ties go to the earlier sentence: on news the lead is the safer choice.
    """
    return np.lexsort((batch.position, -scores, batch.doc))


def select_sentences(batch: Batch, d: int, ranked: np.ndarray, scores: np.ndarray, *, k: int,
                     max_words: int | None = None, mmr_lambda: float = 1.0,
                     duplicate_threshold: float = 0.7) -> list[int]:
    """Indices (within document ``d``) of the chosen sentences, in document order.

    ``ranked`` is the document's sentences best first (see :func:`rank_sentences`) and ``scores``
    their relevance, in document order. At most ``k`` sentences, and with ``max_words`` at most
    that many words in all: a sentence that would overflow the budget is skipped for a shorter one;
    when none fits, the single best sentence is returned, so an article with words always gets one.
    """
    first = int(batch.offsets[d])
    lengths = batch.lengths[first:first + len(scores)].tolist()
    pool = [i for i in ranked.tolist() if lengths[i] > 0]  # a sentence without words is no summary
    if not pool or k < 1:
        return []
    best_first = pool[0]
    mmr = mmr_lambda < 1.0
    if mmr:
        span = scores.max() - scores.min()
        relevance = (scores - scores.min()) / span if span > 0 else np.ones(len(scores))
        redundancy = np.zeros(len(scores))  # the highest similarity to a chosen sentence
    chosen: list[int] = []
    chosen_words: list[set] = []
    used = 0
    while pool and len(chosen) < k:
        if mmr and chosen:
            best = pool.pop(int(np.argmax(mmr_lambda * relevance[pool] - (1.0 - mmr_lambda) * redundancy[pool])))
        else:
            best = pool.pop(0)
        if max_words is not None and used + lengths[best] > max_words:
            continue
        words = batch.word_set(first + best)
        if is_near_duplicate(words, chosen_words, duplicate_threshold):
            continue
        chosen.append(best)
        chosen_words.append(words)
        used += lengths[best]
        if mmr:
            redundancy = np.maximum(redundancy, batch.similarity_row(first + best))
    if not chosen and max_words is not None:
        chosen = [best_first]
    return sorted(chosen)
