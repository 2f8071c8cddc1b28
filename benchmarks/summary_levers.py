"""Levers of issue 25 tried on trained_lgbm.v1, kept here so that benchmarks/summarizers.py reruns them.

None of them moved ROUGE-1 on IndoSum's rotated folds beyond the noise between runs (a tenth or
two; benchmarks/results/summarizers.md), so they stay out of the package:

- ``VectorFeatureExtractor``: in-domain word vectors (``data/word_vectors.npz``, see
  :mod:`mlpkg.data.vectors`). Each sentence's sum of content-word vectors is compared (cosine) with
  the first sentence's (IndoSum has no titles), the rest of the article's, the whole article's and
  the previous sentence's; beside them the share of its content words outside the vectors'
  vocabulary and their mean log frequency rank (how specific its words are).
- ``HookFeatureExtractor``: where the annotators skip the first sentence (18% of articles) and the
  model keeps it, the lead is mostly a feature-style hook: a question ("Pernahkah Anda ...?"), the
  reader addressed ("Anda", "kamu"), a general statement. Features: the sentence ends with a question
  mark, addresses the reader, and the same two of the article's first sentence; the previous
  sentence is a question.
- ``StackedExtractor``: a second LightGBM extractor on the first one's score of each sentence in its
  article's context (gap to the best, rank, the neighbours' and the first sentence's scores, softmax
  share); trained on out-of-fold first-stage scores (two halves of the training articles).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from mlpkg.data.vectors import load_vectors
from mlpkg.summarize.base import BATCH_ARTICLES
from mlpkg.summarize.lgbm_extractor import LightGBMExtractor
from mlpkg.summarize.vectorized import Batch, _stop_hashes, hash_words

VECTORS = Path(__file__).resolve().parents[1] / "data" / "word_vectors.npz"
VECTOR_FEATURE_NAMES = ("vector_first_cosine", "vector_rest_cosine", "vector_article_cosine",
                        "vector_previous_cosine", "out_of_vocabulary_share", "mean_log_frequency_rank")
HOOK_FEATURE_NAMES = ("question", "addresses_reader", "lead_question", "lead_addresses_reader",
                      "previous_question")
CONTEXT_FEATURE_NAMES = ("first_stage_score", "gap_to_best", "rank_in_article", "previous_score",
                         "next_score", "first_sentence_score", "softmax_share")
READER = ("anda", "kamu", "kalian", "kita", "aku")


@lru_cache(maxsize=1)
def vector_table(path: str = str(VECTORS)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted word hashes, their vectors, log frequency rank) of the one-token words of the vector file."""
    words, vectors = load_vectors(path)
    hashed = hash_words(words)
    one_token = np.bincount(hashed.text, minlength=len(words)) == 1
    first = np.r_[True, hashed.text[1:] != hashed.text[:-1]]
    hashes = np.zeros(len(words), dtype=np.uint64)
    hashes[hashed.text[first]] = hashed.hashes[first]
    rows = np.flatnonzero(one_token)
    order = rows[np.argsort(hashes[rows])]
    return hashes[order], vectors[order], np.log1p(order.astype(np.float64))


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(norms > 0, (a * b).sum(axis=1) / np.where(norms > 0, norms, 1.0), 0.0)


def _lookup(values: np.ndarray, sorted_set: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return at, sorted_set[at] == values


def vector_features(batch: Batch) -> np.ndarray:
    """One row of ``VECTOR_FEATURE_NAMES`` per sentence of ``batch``."""
    hashes, vectors, log_rank = vector_table()
    n, doc, w = batch.n, batch.doc, batch.words
    _, stop = _lookup(w.hashes, _stop_hashes())
    content = (w.chars > 1) & ~stop
    row, known = _lookup(w.hashes, hashes)
    known &= content
    counts = sp.csr_matrix((np.ones(int(known.sum())), (w.text[known], row[known])), shape=(n, len(hashes)))
    own = np.asarray(counts @ vectors, dtype=np.float64)
    article = np.zeros((len(batch), own.shape[1]))
    np.add.at(article, doc, own)
    previous = np.zeros_like(own)
    previous[1:] = own[:-1]
    previous[batch.position == 0] = 0.0
    n_content = np.bincount(w.text, weights=content, minlength=n)
    n_known = np.bincount(w.text, weights=known, minlength=n)
    rank = np.bincount(w.text, weights=np.where(known, log_rank[row], 0.0), minlength=n)
    return np.column_stack((
        _cosine(own, own[batch.offsets[doc]]), _cosine(own, article[doc] - own), _cosine(own, article[doc]),
        _cosine(own, previous), 1 - n_known / np.maximum(n_content, 1), rank / np.maximum(n_known, 1),
    ))


def hook_features(batch: Batch) -> np.ndarray:
    """One row of ``HOOK_FEATURE_NAMES`` per sentence of ``batch``."""
    n, w = batch.n, batch.words
    _, reader = _lookup(w.hashes, np.unique(hash_words(list(READER)).hashes))
    addresses = np.bincount(w.text, weights=reader, minlength=n) > 0
    question = np.array([s.rstrip().endswith("?") for s in batch.sentences], dtype=bool)
    first = batch.offsets[batch.doc]
    previous = np.r_[False, question[:-1]] & (batch.position > 0)
    return np.column_stack((question, addresses, question[first], addresses[first], previous)).astype(np.float64)


def context_features(batch: Batch, scores: np.ndarray) -> np.ndarray:
    """One row of ``CONTEXT_FEATURE_NAMES`` per sentence: its score beside its article's other scores."""
    doc, first = batch.doc, batch.offsets[batch.doc]
    best = batch.per_doc_max(scores)[doc]
    order = np.lexsort((-scores, doc))
    rank = np.empty(batch.n)
    rank[order] = np.arange(batch.n) - first[order]
    previous = np.r_[0.0, scores[:-1]]
    previous[batch.position == 0] = scores.min(initial=0.0) - 1
    following = np.r_[scores[1:], 0.0]
    following[batch.position == batch.sizes[doc] - 1] = scores.min(initial=0.0) - 1
    exp = np.exp(scores - best)
    return np.column_stack((scores, scores - best, rank, previous, following, scores[first],
                            exp / np.bincount(doc, weights=exp)[doc]))


class VectorFeatureExtractor(LightGBMExtractor):
    """trained_lgbm.v1 with the word-vector features."""

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *VECTOR_FEATURE_NAMES]

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch), vector_features(batch)])


class HookFeatureExtractor(LightGBMExtractor):
    """trained_lgbm.v1 with the hook features."""

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *HOOK_FEATURE_NAMES]

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch), hook_features(batch)])


def _pick(values: Sequence | None, rows: np.ndarray) -> list | None:
    return None if values is None else [values[i] for i in rows]


class StackedExtractor(LightGBMExtractor):
    """trained_lgbm.v1's features and, from a first trained_lgbm.v1, each sentence's score in context."""

    _train_scores: np.ndarray | None = None

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *CONTEXT_FEATURE_NAMES]

    def fit(self, documents=None, gold=None, *, titles=None, paragraphs=None, dev=None,
            references=None) -> "StackedExtractor":
        documents, gold = list(documents), list(gold)
        half = np.random.default_rng(self.seed).random(len(documents)) < 0.5
        out_of_fold: list[np.ndarray | None] = [None] * len(documents)
        for held in (half, ~half):
            train, test = np.flatnonzero(~held), np.flatnonzero(held)
            stage = LightGBMExtractor(seed=self.seed).fit(
                _pick(documents, train), _pick(gold, train), titles=_pick(titles, train),
                paragraphs=_pick(paragraphs, train))
            docs = stage.documents(_pick(documents, test), _pick(titles, test), _pick(paragraphs, test))
            for start in range(0, len(docs), BATCH_ARTICLES):
                batch = Batch(docs[start:start + BATCH_ARTICLES])
                scores = stage.score_batch(batch)
                for d in range(len(batch)):
                    out_of_fold[test[start + d]] = scores[batch.span(d)]
        self.stage1_ = LightGBMExtractor(seed=self.seed).fit(documents, gold, titles=titles, paragraphs=paragraphs)
        self._train_scores = np.concatenate([s for s in out_of_fold if len(s)])
        try:
            return super().fit(documents, gold, titles=titles, paragraphs=paragraphs)
        finally:
            self._train_scores = None

    def _features(self, docs) -> np.ndarray:
        if self._train_scores is None:
            return super()._features(docs)
        blocks, at = [], 0
        for start in range(0, len(docs), BATCH_ARTICLES):
            batch = Batch(docs[start:start + BATCH_ARTICLES])
            blocks.append(np.hstack([super()._batch_features(batch),
                                     context_features(batch, self._train_scores[at:at + batch.n])]))
            at += batch.n
        return np.vstack(blocks)

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch),
                          context_features(batch, self.stage1_.score_batch(batch))])
