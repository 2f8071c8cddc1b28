"""Fast TF-IDF features for long news bodies.

Character n-grams ``char_wb`` never cross a word boundary, so the n-gram counts of a document
are the sum of the n-gram counts of its words. News vocabulary repeats, so we analyse each
distinct word once, cache its n-gram row, and build a document's counts as a sparse
(documents x words) @ (words x n-grams) product. The result equals scikit-learn's
``TfidfVectorizer(analyzer="char_wb")`` on the same text, several times faster.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer


def truncate_words(text: str, max_chars: int) -> str:
    """The leading words of ``text`` up to about ``max_chars`` characters (never a cut word)."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > 0 else max_chars]


class CachedCharNgrams:
    """Transforms whitespace-tokenised text like a fitted ``char_wb`` TfidfVectorizer."""

    def __init__(self, vectorizer: TfidfVectorizer, max_cache: int = 500_000):
        self.vectorizer = vectorizer
        self.max_cache = max_cache
        self._analyze = vectorizer.build_analyzer()
        self._vocab = vectorizer.vocabulary_
        self._word_ids: dict[str, int] = {}
        self._matrix: sp.csr_matrix | None = None

    def _word_row(self, word: str) -> np.ndarray:
        ids = [self._vocab[g] for g in self._analyze(word) if g in self._vocab]
        return np.asarray(ids, dtype=np.int64)

    def _ensure(self, words: list[str]) -> None:
        """Add rows for words not seen yet (only those: the cached rows are never rebuilt)."""
        new = [w for w in dict.fromkeys(words) if w not in self._word_ids]
        if not new:
            return
        if len(self._word_ids) + len(new) > self.max_cache:
            self._word_ids, self._matrix = {}, None
            new = list(dict.fromkeys(words))
        rows = [self._word_row(w) for w in new]
        indptr = np.cumsum([0] + [len(r) for r in rows])
        indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        block = sp.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                              shape=(len(rows), len(self._vocab)))
        block.sum_duplicates()
        start = len(self._word_ids)
        self._word_ids.update((w, start + i) for i, w in enumerate(new))
        self._matrix = block if self._matrix is None else sp.vstack([self._matrix, block], format="csr")

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        bags = [Counter(t.split()) for t in texts]
        self._ensure([w for bag in bags for w in bag])
        ids = self._word_ids
        indptr = np.cumsum([0] + [len(b) for b in bags])
        indices = np.fromiter((ids[w] for b in bags for w in b), dtype=np.int64, count=int(indptr[-1]))
        data = np.fromiter((c for b in bags for c in b.values()), dtype=np.float32, count=int(indptr[-1]))
        doc_words = sp.csr_matrix((data, indices, indptr), shape=(len(texts), self._matrix.shape[0]))
        return (doc_words @ self._matrix).tocsr()

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        return self.vectorizer._tfidf.transform(self.counts(texts), copy=False)


def fit_char_vectorizer(texts: list[str], vectorizer: TfidfVectorizer) -> TfidfVectorizer:
    """Fit an (unfitted) ``char_wb`` vectorizer's vocabulary and idf through the word cache.

    Keeps n-grams in at least ``min_df`` documents, then the ``max_features`` most frequent
    (ties broken alphabetically), and sets the smoothed idf as scikit-learn defines it.
    """
    analyze = vectorizer.build_analyzer()
    bags = [Counter(t.split()) for t in texts]
    word_ids: dict[str, int] = {}
    for bag in bags:
        for w in bag:
            word_ids.setdefault(w, len(word_ids))
    gram_ids: dict[str, int] = {}
    rows, cols = [], []
    for w, i in word_ids.items():
        for g in analyze(w):
            rows.append(i)
            cols.append(gram_ids.setdefault(g, len(gram_ids)))
    word_grams = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                               shape=(len(word_ids), len(gram_ids)))
    indptr = np.cumsum([0] + [len(b) for b in bags])
    indices = np.fromiter((word_ids[w] for b in bags for w in b), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((c for b in bags for c in b.values()), dtype=np.float32, count=int(indptr[-1]))
    counts = sp.csr_matrix((data, indices, indptr), shape=(len(texts), len(word_ids))) @ word_grams
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    total = np.asarray(counts.sum(axis=0)).ravel()
    names = np.array(list(gram_ids))
    keep = np.flatnonzero(df >= vectorizer.min_df)
    if vectorizer.max_features is not None and len(keep) > vectorizer.max_features:
        order = np.lexsort((names[keep], -total[keep]))
        keep = keep[order[: vectorizer.max_features]]
    keep = keep[np.argsort(names[keep])]
    vectorizer.vocabulary_ = {str(g): i for i, g in enumerate(names[keep])}
    n = len(texts)
    vectorizer.idf_ = np.log((1 + n) / (1 + df[keep])) + 1.0
    return vectorizer
