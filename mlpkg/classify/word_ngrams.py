"""Word n-gram TF-IDF of a fitted ``TfidfVectorizer`` without its per-token Python loop.

scikit-learn's ``transform`` builds every n-gram of every text as a Python string and looks it up
one by one (an out-of-vocabulary n-gram costs a caught ``KeyError``): on 2,700-character news
articles that is most of a tagger's time. Texts in feature form
(:func:`~mlpkg.text.normalize.normalize_for_features`: word characters separated by single spaces)
tokenise by ``str.split`` exactly as by the vectorizer's ``\\b\\w+\\b``, so here a whole batch is split
once, each token is mapped to an integer id by one C-level pass over a dict, and n-grams become
integer keys looked up with ``numpy.searchsorted``. The count matrix equals scikit-learn's (same
entries, sorted indices, same dtype), and the vectorizer's own TF-IDF step turns it into features,
so scores are identical to the last bit.

>>> counter = WordNgramCounter.for_vectorizer(model.word_vectorizer_)  # doctest: +SKIP
>>> counter.transform(["koperasi desa merah putih"])                  # doctest: +SKIP
<1x150000 sparse matrix of type '<class 'numpy.float32'>' with 7 stored elements ...>
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import scipy.sparse as sp

WORD_TOKENS = r"(?u)\b\w+\b"  # the token pattern under which str.split tokenises feature-form text alike
_SEPARATOR = "\x00"  # between two texts of a batch: never a token of a feature-form text (it is not \w)
_SEPARATOR_ID = -2
_UNKNOWN_ID = -1


class WordNgramCounter:
    """Counts of a fixed vocabulary's word n-grams (n from 1 to ``max_n``) in feature-form texts."""

    def __init__(self, vocabulary: dict[str, int], max_n: int, dtype: type = np.float32):
        self.n_features = len(vocabulary)
        self.max_n = max_n
        self.dtype = dtype
        terms = list(vocabulary)
        # every term's tokens in one flat list: one C-level pass each, not a Python loop over 150,000 terms
        flat = " ".join(terms).split(" ")
        lengths = np.fromiter(map(str.count, terms, repeat(" ")), dtype=np.int64, count=len(terms)) + 1
        token_ids = {t: i for i, t in enumerate(dict.fromkeys(flat))}
        self.n_tokens = max(len(token_ids), 1)
        self._token_ids = {**token_ids, _SEPARATOR: _SEPARATOR_ID}
        flat_ids = np.fromiter(map(token_ids.__getitem__, flat), dtype=np.int64, count=len(flat))
        starts = np.cumsum(lengths) - lengths
        features = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        self._unigram_feature = np.full(self.n_tokens, -1, dtype=np.int64)
        self._keys, self._features = [], []
        for n in range(1, max_n + 1):
            of_n = lengths == n
            ids = np.stack([flat_ids[starts[of_n] + i] for i in range(n)])
            if n == 1:
                self._unigram_feature[ids[0]] = features[of_n]
            keys = self._key(ids)
            order = np.argsort(keys)
            self._keys.append(keys[order])
            self._features.append(features[of_n][order])

    @classmethod
    def for_vectorizer(cls, vectorizer) -> "WordNgramCounter | None":
        """A counter that reproduces ``vectorizer``'s counts, or None when it cannot (another analyzer,
        token pattern, preprocessing, or more tokens than 64-bit keys hold)."""
        params = vectorizer.get_params()
        min_n, max_n = params["ngram_range"]
        supported = (params["analyzer"] == "word" and params["token_pattern"] == WORD_TOKENS
                     and not params["lowercase"] and params["preprocessor"] is None and params["tokenizer"] is None
                     and params["stop_words"] is None and params["strip_accents"] is None and not params["binary"]
                     and params["input"] == "content" and min_n == 1 and max_n >= 1)
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        if not supported or vocabulary is None:
            return None
        counter = cls(vocabulary, max_n, params["dtype"])
        return counter if counter.n_tokens**max_n < 2**62 else None

    def _key(self, ids: np.ndarray) -> np.ndarray:
        """One int64 per n-gram from its token ids, ``ids`` shaped (n, count)."""
        key = ids[0].astype(np.int64)
        for row in ids[1:]:
            key = key * self.n_tokens + row
        return key

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """The count matrix ``CountVectorizer.transform`` gives for ``texts`` (in feature form)."""
        n_docs = len(texts)
        tokens = f" {_SEPARATOR} ".join(texts).split()
        ids = np.fromiter(map(self._token_ids.get, tokens, repeat(_UNKNOWN_ID)), dtype=np.int64, count=len(tokens))
        doc = np.cumsum(ids == _SEPARATOR_ID)
        known = ids >= 0
        unigram = self._unigram_feature[ids[known]]
        rows, cols = [doc[known][unigram >= 0]], [unigram[unigram >= 0]]
        for n in range(2, self.max_n + 1):
            if len(ids) < n or not len(self._keys[n - 1]):
                continue
            window = np.stack([ids[i: len(ids) - n + 1 + i] for i in range(n)])
            inside = (window >= 0).all(axis=0)
            keys = self._key(window[:, inside])
            order = np.argsort(keys)  # sorted queries make the binary searches cheap (and cache-friendly)
            keys = keys[order]
            table = self._keys[n - 1]
            at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
            hit = table[at] == keys
            rows.append(doc[: len(ids) - n + 1][inside][order][hit])
            cols.append(self._features[n - 1][at[hit]])
        cell, count = np.unique(np.concatenate(rows) * self.n_features + np.concatenate(cols), return_counts=True)
        row, col = np.divmod(cell, self.n_features)
        indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        return sp.csr_matrix((count.astype(self.dtype), col.astype(np.int32), indptr),
                             shape=(n_docs, self.n_features))


def word_tfidf(vectorizer, texts: list[str], counter: WordNgramCounter | None) -> sp.csr_matrix:
    """``vectorizer.transform(texts)`` for feature-form texts, through ``counter`` when there is one."""
    if counter is None:
        return vectorizer.transform(texts)
    return vectorizer._tfidf.transform(counter.counts(texts), copy=False)
