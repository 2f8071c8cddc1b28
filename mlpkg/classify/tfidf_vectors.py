"""``tfidf_lexicon.v1`` plus the article's mean in-domain word vector as features.

The TF-IDF model learns a weight per word it saw with a label; a small-business story that says
"perajin tenun" and "omzet" but never "UMKM" gets little from words that are rare among the
positives. Word vectors trained on the unlabelled pool (:mod:`mlpkg.data.vectors`) place such words
near the tag's own, so the TF-IDF-weighted mean vector of an article carries the topic even where its
words are new to the labels. The vectors enter as ``dims`` dense columns of the same linear model
(scaled by ``vector_weight``); the model folder keeps only the vectors of its own unigram
vocabulary, as plain arrays.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.estimator import Param
from ..core.registry import register
from ..errors import ModelIntegrityError
from .classifier import LabelSet
from .tfidf_lexicon import TfidfLexiconClassifier


@lru_cache(maxsize=2)
def _vectors(path: str) -> tuple[dict[str, int], np.ndarray]:
    from ..data.load import resolve_data_path
    from ..data.vectors import load_vectors

    words, vectors = load_vectors(resolve_data_path(path))
    return {w: i for i, w in enumerate(words)}, vectors


@register("tfidf_lexicon_vectors.v1")
class TfidfLexiconVectorsClassifier(TfidfLexiconClassifier):
    """:class:`TfidfLexiconClassifier` with the article's TF-IDF-weighted mean word vector appended.

    >>> clf = TfidfLexiconVectorsClassifier(lexicon=lexicon, word_vectors="data/word_vectors.npz")  # doctest: +SKIP
    """

    params = {
        **TfidfLexiconClassifier.params,
        "word_vectors": Param(str, "data/word_vectors.npz", doc="in-domain word vectors (.npz of mlpkg.data.vectors)"),
        "vector_weight": Param(float, 1.0, low=0.0, doc="scale of the mean-vector columns"),
    }

    def __init__(self, *, labels: LabelSet = None, head: str = "linear_svc", C: float = 0.5, alpha: float = 0.3,
                 word_ngrams: list[int] | tuple[int, ...] = (1, 2), char_ngrams: list[int] | tuple[int, ...] = (),
                 min_df: int = 2, max_features_word: int = 150000, max_features_char: int = 150000,
                 char_max_chars: int = 2000, sublinear_tf: bool = True, class_weight: str = "balanced",
                 calibration_folds: int = 5, seed: int = 0, lexicon: dict[str, list[str]] | None = None,
                 lexicon_weight: float = 1.0, lead_chars: int = 400, lead_block_chars: int | None = None,
                 lead_block_tags: list[str] | tuple[str, ...] = (), lead_block_weight: float = 1.0,
                 word_vectors: str = "data/word_vectors.npz", vector_weight: float = 1.0) -> None:
        super().__init__(labels=labels, head=head, C=C, alpha=alpha, word_ngrams=word_ngrams, char_ngrams=char_ngrams,
                         min_df=min_df, max_features_word=max_features_word, max_features_char=max_features_char,
                         char_max_chars=char_max_chars, sublinear_tf=sublinear_tf, class_weight=class_weight,
                         calibration_folds=calibration_folds, seed=seed, lexicon=lexicon,
                         lexicon_weight=lexicon_weight, lead_chars=lead_chars, lead_block_chars=lead_block_chars,
                         lead_block_tags=lead_block_tags, lead_block_weight=lead_block_weight)
        self.word_vectors = word_vectors
        self.vector_weight = vector_weight

    def _fit_vector_map(self) -> None:
        index, vectors = _vectors(self.word_vectors)
        vocab = self.word_vectorizer_.vocabulary_
        rows = np.array(sorted(vocab[w] for w in vocab if w in index), dtype=np.int64)
        terms = self.word_vectorizer_.get_feature_names_out()
        self.vector_rows_ = rows
        self.vector_values_ = vectors[[index[terms[r]] for r in rows]].astype(np.float16)

    def _vector_map(self) -> sp.csr_matrix:
        cached = getattr(self, "_vector_map_cache", None)
        if cached is None or cached[0] is not self.vector_values_:
            n_word = len(self.word_vectorizer_.vocabulary_)
            dense = np.zeros((n_word, self.vector_values_.shape[1]), dtype=np.float32)
            dense[self.vector_rows_] = self.vector_values_
            cached = self._vector_map_cache = (self.vector_values_, dense)
        return cached[1]

    def _blocks(self, texts: list[str], fit: bool) -> sp.csr_matrix:
        X = super()._blocks(texts, fit)
        if fit:
            self._fit_vector_map()
        n_word = len(self.word_vectorizer_.vocabulary_)
        mean = np.asarray(X[:, :n_word] @ self._vector_map())
        mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return sp.hstack([X, sp.csr_matrix(mean * self.vector_weight)], format="csr")

    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta, files = super()._state()
        files["weights.npz"]["vector_rows"] = self.vector_rows_
        files["weights.npz"]["vector_values"] = self.vector_values_
        return meta, files

    def _restore_arrays(self, arrays: dict[str, np.ndarray], directory: Path) -> None:
        super()._restore_arrays(arrays, directory)
        self.vector_rows_, self.vector_values_ = arrays["vector_rows"], arrays["vector_values"]
        if self.vector_values_.ndim != 2 or len(self.vector_values_) != len(self.vector_rows_):
            raise ModelIntegrityError(f"{directory / 'weights.npz'}: vector_values has shape "
                                      f"{self.vector_values_.shape}, expected one row per entry of vector_rows "
                                      f"({len(self.vector_rows_)}) (restore the model folder or retrain)")

    def _n_features(self) -> int:
        return super()._n_features() + self.vector_values_.shape[1]

    def _feature_names(self) -> list[str]:
        return super()._feature_names() + [f"vector:{k}" for k in range(self.vector_values_.shape[1])]
