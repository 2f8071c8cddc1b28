"""Choosing a whole summary: candidate sentence sets of an article, their features and their ROUGE-1.

A sentence scorer ranks sentences one by one; ROUGE judges the summary as a whole, and how many
sentences it should have depends on how long they are and how sure the scorer is of each. So the
top ``top`` sentences of an article (best score first, never a sentence without words, never a
near-duplicate of one kept before it) are combined into sets of ``low`` to ``high`` of them (each set
of ``s`` sentences drawn from the best ``s + 1``),
and each set is described by what the scorer said of it (:data:`CANDIDATE_FEATURE_NAMES`: how many
sentences, their summed and smallest probability, the words they bring, the expected word-level F1
against the gold sentences, whether they are the lead) so that a regressor can learn the ROUGE-1
each set scores against the reference (:func:`candidate_rouge1`). The summary is the set it rates
highest, in document order.

Everything is arrays over (article, candidate) pairs: the sets are the rows of one boolean mask
matrix, shared by every article, and an article only gets the sets its kept sentences allow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .base import half_of
from .mmr import is_near_duplicate, rank_sentences
from .relevance import rouge_tokens
from .vectorized import Batch

CANDIDATE_FEATURE_NAMES = (
    "sentences", "probability_sum", "probability_min", "expected_gold_words", "words", "expected_word_f1",
    "article_expected_gold_words", "article_sentences", "article_words", "has_first_sentence", "is_lead",
    "last_position", "score_min", "probability_left_out", "last_rank",
)


@dataclass
class Candidates:
    """Rows of ``features`` are (article, sentence set) pairs: ``doc`` is the article of each row, ``chosen``
    its sentences (batch indices, -1 where the set is smaller than ``top``)."""

    features: np.ndarray
    doc: np.ndarray
    chosen: np.ndarray


def subset_masks(top: int) -> np.ndarray:
    """The candidate sets of ``top`` ranks as a (sets x top) boolean matrix, smallest first: every set of
    ``s`` sentences among the best ``s + 1``. Sets that pass over two of the best or more were almost never
    the best in training (benchmarks/results/summarizers.md) and would double the rows to rate.

    >>> subset_masks(3).astype(int).tolist()
    [[1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]
    """
    sets = [c for size in range(1, top + 1) for c in combinations(range(min(top, size + 1)), size)]
    masks = np.zeros((len(sets), top), dtype=bool)
    for row, ranks in enumerate(sets):
        masks[row, list(ranks)] = True
    return masks


def kept_sentences(batch: Batch, scores: np.ndarray, top: int, duplicate_threshold: float) -> np.ndarray:
    """(articles x ``top``) batch indices of each article's best sentences, best first, -1 where it has fewer:
    sentences without words and near-duplicates (Jaccard >= ``duplicate_threshold``) of a kept one are
    passed over, as :func:`~mlpkg.summarize.mmr.select_sentences` does."""
    kept = np.full((len(batch), top), -1, dtype=np.int64)
    ranked = rank_sentences(batch, scores)
    lengths = batch.lengths
    for d in range(len(batch)):
        span = batch.span(d)
        words: list[set] = []
        n = 0
        for i in ranked[span].tolist():
            if lengths[i] == 0:
                continue
            these = batch.word_set(i)
            if is_near_duplicate(these, words, duplicate_threshold):
                continue
            kept[d, n] = i
            words.append(these)
            n += 1
            if n == top:
                break
    return kept


def candidates(batch: Batch, scores: np.ndarray, probabilities: np.ndarray, *, top: int, low: int, high: int,
               duplicate_threshold: float) -> Candidates:
    """The sentence sets of every article of ``batch`` and their features.

    An article gets the sets of ``low`` to ``high`` of its kept sentences, never more than half of
    its sentences (:func:`~mlpkg.summarize.base.half_of`); where that leaves none, the sets of the most
    it allows (a two-sentence article's summary is its best sentence).
    """
    kept = kept_sentences(batch, scores, top, duplicate_threshold)
    masks = subset_masks(top)
    size = masks.sum(axis=1)
    valid_ranks = kept >= 0
    most = np.minimum(np.minimum(valid_ranks.sum(axis=1), half_of(batch.sizes)), high)
    fewest = np.minimum(low, most)
    # a set is allowed where all its ranks hold a sentence and its size is in [fewest, most]
    allowed = (~(masks[None, :, :] & ~valid_ranks[:, None, :])).all(axis=2)
    allowed &= (size[None, :] >= fewest[:, None]) & (size[None, :] <= most[:, None])
    doc, row = np.nonzero(allowed)
    index = np.where(valid_ranks, kept, 0)
    lengths = batch.lengths.astype(np.float64)

    def at(values: np.ndarray) -> np.ndarray:
        return np.where(valid_ranks, values[index], 0.0)

    p, words, raw, position = at(probabilities), at(lengths), at(scores), at(batch.position.astype(np.float64))
    m = masks.astype(np.float64)
    chosen_mask = masks[row]
    probability_sum = (p @ m.T)[doc, row]
    expected_gold = ((p * words) @ m.T)[doc, row]
    chosen_words = (words @ m.T)[doc, row]
    article_gold = batch.per_doc_sum(probabilities * lengths)[doc]
    last_position = np.where(chosen_mask, position[doc], -1.0).max(axis=1)
    features = np.column_stack([
        size[row],
        probability_sum,
        np.where(chosen_mask, p[doc], np.inf).min(axis=1),
        expected_gold,
        chosen_words,
        2 * expected_gold / np.maximum(chosen_words + article_gold, 1e-9),
        article_gold,
        batch.sizes[doc],
        batch.per_doc_sum(lengths)[doc],
        (chosen_mask & (position[doc] == 0) & valid_ranks[doc]).any(axis=1),
        last_position == size[row] - 1,  # distinct positions 0..k-1: the first k sentences
        last_position,
        np.where(chosen_mask, raw[doc], np.inf).min(axis=1),
        p[doc].sum(axis=1) - probability_sum,
        top - 1 - np.argmax(chosen_mask[:, ::-1], axis=1),
    ]).astype(np.float64)
    return Candidates(features, doc, np.where(chosen_mask, kept[doc], -1))


def best_sets(candidates: Candidates, ratings: np.ndarray, batch: Batch) -> list[list[int]]:
    """Per article, the positions (within the article) of the sentences of its best-rated set, in order."""
    chosen: list[list[int]] = [[] for _ in range(len(batch))]
    if not len(ratings):
        return chosen
    order = np.lexsort((-ratings, candidates.doc))
    first = np.r_[True, candidates.doc[order][1:] != candidates.doc[order][:-1]]
    for row in order[first]:
        d = int(candidates.doc[row])
        sentences = candidates.chosen[row]
        chosen[d] = sorted(int(i - batch.offsets[d]) for i in sentences[sentences >= 0])
    return chosen


def candidate_rouge1(candidates: Candidates, batch: Batch, references: Sequence[Sequence[str]]) -> np.ndarray:
    """ROUGE-1 F1 of every candidate set against its article's reference summary (rouge-score's tokens,
    no stemmer, clipped counts), to learn from."""
    sentence_counts = {}
    reference_counts = [Counter(rouge_tokens(" ".join(reference))) for reference in references]
    reference_words = [sum(counts.values()) for counts in reference_counts]
    out = np.zeros(len(candidates.doc))
    for row, (d, sentences) in enumerate(zip(candidates.doc.tolist(), candidates.chosen)):
        reference = reference_counts[d]
        system: Counter = Counter()
        for i in sentences[sentences >= 0].tolist():
            if i not in sentence_counts:
                sentence_counts[i] = Counter(rouge_tokens(batch.sentences[i]))
            system.update(sentence_counts[i])
        overlap = sum((system & reference).values())
        total = sum(system.values()) + reference_words[d]
        out[row] = 2 * overlap / total if overlap else 0.0
    return out
