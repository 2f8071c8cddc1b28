"""TF-IDF word + character n-gram classifiers with linear heads.

One class serves multi-label topic tagging (one-vs-rest, per-label thresholds) and
single-label news categories. Every head (logistic regression, linear SVM, complement naive
Bayes) reduces to a linear decision function ``X @ W.T + b``, so the fitted model is stored as
vocabularies, idf weights, ``W``, ``b`` and calibration arrays — no pickle.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from ..core.directory import load_arrays, read_json
from ..core.estimator import Param
from ..core.numeric import sigmoid, softmax
from ..core.registry import register
from ..data.folds import grouped_folds, train_rows
from ..errors import ModelIntegrityError
from ..text.clean import clean
from ..text.normalize import normalize_for_features
from .classifier import LABELS, Classifier, LabelSet
from .linear import fit_matrix_scaling, fit_platt
from .text_features import CachedCharNgrams, fit_char_vectorizer, truncate_words
from .word_ngrams import WordNgramCounter, word_tfidf


def _is_vocabulary(terms: Any) -> bool:
    return isinstance(terms, list) and all(isinstance(t, str) for t in terms)


def _vectorizer(
    analyzer: str, ngrams: list[int], min_df: int, max_features: int | None, sublinear: bool
) -> TfidfVectorizer:
    extra = {"token_pattern": r"(?u)\b\w+\b"} if analyzer == "word" else {}
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=tuple(ngrams),
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=sublinear,
        lowercase=False,
        dtype=np.float32,
        **extra,
    )


def rebuild_vectorizer(directory: Path, analyzer: str, ngrams: list[int], vocab_file: str, idf: np.ndarray,
                       sublinear: bool) -> TfidfVectorizer:
    """A fitted vectorizer from a saved model's vocabulary file and idf weights, checked against each other."""
    vec = _vectorizer(analyzer, ngrams, 1, None, sublinear)
    terms = read_json(directory / vocab_file)
    vec.vocabulary_ = dict(zip(terms, range(len(terms)))) if _is_vocabulary(terms) else {}
    if len(vec.vocabulary_) != len(terms) or len(terms) != len(idf):
        raise ModelIntegrityError(
            f"{directory / vocab_file}: expected a list of {len(idf)} distinct terms, one per idf weight in "
            "weights.npz; the vocabulary does not match the weights (restore the model folder or retrain)")
    vec.idf_ = idf.astype(np.float64)
    return vec


@register("tfidf_linear.v1")
class TfidfClassifier(Classifier):
    """TF-IDF features (word and char n-grams) with a linear head.

    >>> clf = TfidfClassifier(head="logreg").fit(texts, [["umkm"], [], ...])  # doctest: +SKIP
    >>> clf.predict_tags(["Koperasi Desa Merah Putih resmi diluncurkan"])           # doctest: +SKIP
    [['koperasi']]
    """

    params = {
        "labels": LABELS,
        "head": Param(str, "logreg", choices=("logreg", "linear_svc", "complement_nb"), doc="linear head"),
        "C": Param(float, 4.0, low=1e-6, doc="inverse regularisation (logreg, linear_svc)"),
        "alpha": Param(float, 0.3, low=1e-6, doc="smoothing (complement_nb)"),
        "word_ngrams": Param((list, tuple), (1, 2), low=1, item=int, lengths=(2,), ascending=True,
                             doc="word n-gram range [min, max]"),
        "char_ngrams": Param((list, tuple), (3, 5), low=1, item=int, lengths=(0, 2), ascending=True,
                             doc="char n-gram range [min, max]; [] disables"),
        "min_df": Param(int, 2, low=1),
        "max_features_word": Param(int, 150_000, low=1),
        "max_features_char": Param(int, 150_000, low=1),
        "char_max_chars": Param(int, 2_000, low=100, doc="char n-grams read this many leading characters"),
        "sublinear_tf": Param(bool, True),
        "class_weight": Param(str, "balanced", choices=("balanced", "none")),
        "calibration_folds": Param(int, 3, low=2, high=10),
        "seed": Param(int, 0),
    }

    def __init__(self, *, labels: LabelSet = None, head: str = "logreg", C: float = 4.0, alpha: float = 0.3,
                 word_ngrams: list[int] | tuple[int, ...] = (1, 2), char_ngrams: list[int] | tuple[int, ...] = (3, 5),
                 min_df: int = 2, max_features_word: int = 150000, max_features_char: int = 150000,
                 char_max_chars: int = 2000, sublinear_tf: bool = True, class_weight: str = "balanced",
                 calibration_folds: int = 3, seed: int = 0) -> None:
        self.labels = labels
        self.head = head
        self.C = C
        self.alpha = alpha
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features_word = max_features_word
        self.max_features_char = max_features_char
        self.char_max_chars = char_max_chars
        self.sublinear_tf = sublinear_tf
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.seed = seed

    # --- features -----------------------------------------------------------------------
    def _feature_form(self, text: str) -> str:
        """A cleaned text (or one of its sentences) as the features read it; evidence splits the same form."""
        return normalize_for_features(text)

    def _prepare(self, texts: list[str]) -> list[str]:
        return [self._feature_form(clean(t)) for t in texts]

    def _char_texts(self, prepared: list[str]) -> list[str]:
        return [truncate_words(p, self.char_max_chars) for p in prepared]

    def _features(self, prepared: list[str]) -> sp.csr_matrix:
        blocks = [word_tfidf(self.word_vectorizer_, prepared, self._word_counter())]
        if self.char_vectorizer_ is not None:
            if getattr(self, "_char_cache", None) is None:
                self._char_cache = CachedCharNgrams(self.char_vectorizer_)
            blocks.append(self._char_cache.transform(self._char_texts(prepared)))
        return sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()

    def _word_counter(self) -> WordNgramCounter | None:
        """The fast counter of the word vectorizer's n-grams, built on first use (per fitted vectorizer)."""
        return self._counter(self.word_vectorizer_, "_word_counter_cache")

    def _counter(self, vectorizer, cache: str) -> WordNgramCounter | None:
        """The fast counter of ``vectorizer``'s n-grams, kept in attribute ``cache`` and built again only
        when the vectorizer is another (refitted or loaded)."""
        cached = getattr(self, cache, None)
        if cached is None or cached[0] is not vectorizer:
            cached = (vectorizer, WordNgramCounter.for_vectorizer(vectorizer))
            setattr(self, cache, cached)
        return cached[1]

    def _fit_features(self, prepared: list[str]) -> sp.csr_matrix:
        self.word_vectorizer_ = _vectorizer(
            "word", self.word_ngrams, self.min_df, self.max_features_word, self.sublinear_tf
        )
        blocks = [self.word_vectorizer_.fit_transform(prepared)]  # one pass: fit, then transform, doubles the cost
        self.char_vectorizer_ = self._char_cache = None
        if self.char_ngrams:
            self.char_vectorizer_ = _vectorizer(
                "char_wb", self.char_ngrams, self.min_df, self.max_features_char, self.sublinear_tf
            )
            fit_char_vectorizer(self._char_texts(prepared), self.char_vectorizer_)
            self._char_cache = CachedCharNgrams(self.char_vectorizer_)
            blocks.append(self._char_cache.transform(self._char_texts(prepared)))
        return sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()

    # --- heads --------------------------------------------------------------------------
    def _head(self, n_classes: int = 2):
        weight = "balanced" if self.class_weight == "balanced" else None
        if self.head == "logreg":
            # liblinear is fastest for the one-vs-rest binary fits but has no multinomial mode
            solver = "liblinear" if n_classes <= 2 else "lbfgs"
            return LogisticRegression(C=self.C, class_weight=weight, max_iter=2000, solver=solver)
        if self.head == "linear_svc":
            return LinearSVC(C=self.C, class_weight=weight, random_state=self.seed)
        return ComplementNB(alpha=self.alpha)

    def _linear(self, X: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fit one head; return (W, b) with one row per decision score."""
        head = self._head(int(y.max()) + 1)
        if self.head == "complement_nb" and self.class_weight == "balanced":
            counts = np.bincount(y)
            head.fit(X, y, sample_weight=(len(y) / (len(counts) * counts))[y])
        else:
            head.fit(X, y)
        if self.head == "complement_nb":
            flp = head.feature_log_prob_
            W = flp[1:] - flp[:1] if flp.shape[0] == 2 else flp
            return W.astype(np.float32), np.zeros(W.shape[0], dtype=np.float32)
        return head.coef_.astype(np.float32), head.intercept_.astype(np.float32)

    def _oof_scores(self, X: sp.csr_matrix, y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Decision scores of every row from a head fitted without its fold; with ``groups`` a near-copy
        group stays in one fold (copies of one story must not calibrate each other)."""
        if groups is None:
            folds = min(self.calibration_folds, int(np.bincount(y).min()))
            splits = StratifiedKFold(folds, shuffle=True, random_state=self.seed).split(X, y) if folds >= 2 else []
        else:
            # a class spread over k groups fills at most k folds
            folds = min([self.calibration_folds] + [len(np.unique(groups[y == c])) for c in np.unique(y)])
            splits = [(train_rows(test, list(groups)), test) for _, test in
                      grouped_folds(np.eye(y.max() + 1)[y], list(groups), folds, self.seed)] if folds >= 2 else []
        out = None
        for tr, te in splits:
            W, b = self._linear(X[tr], y[tr])
            scores = np.asarray(X[te] @ W.T) + b
            out = np.zeros((X.shape[0], scores.shape[1])) if out is None else out
            out[te] = scores
        if out is None:  # too few examples of a class for two folds: in-sample scores
            W, b = self._linear(X, y)
            return np.asarray(X @ W.T) + b
        return out

    def _fit_one_label(self, X: sp.csr_matrix, y: np.ndarray, groups: np.ndarray | None
                       ) -> tuple[np.ndarray, float, tuple[float, float]]:
        W, b = self._linear(X, y)
        return W[0], float(b[0]), fit_platt(self._oof_scores(X, y, groups)[:, 0], y)

    def _fit_matrix(self, X: sp.csr_matrix, Y: np.ndarray, groups: np.ndarray | None = None,
                    known: np.ndarray | None = None) -> None:
        if self.multi_label_:
            # a label learns from the rows where it is decided; liblinear releases the GIL: one thread per label
            rows = [np.flatnonzero(known[:, j]) if known is not None else slice(None) for j in range(Y.shape[1])]
            fitted = Parallel(n_jobs=min(Y.shape[1], os.cpu_count() or 1), prefer="threads")(
                delayed(self._fit_one_label)(X[rows[j]], Y[rows[j], j].astype(int),
                                             None if groups is None else np.asarray(groups)[rows[j]])
                for j in range(Y.shape[1])
            )
            self.coef_ = np.vstack([W for W, _, _ in fitted])
            self.intercept_ = np.array([b for _, b, _ in fitted], dtype=np.float32)
            self.calibration_ = {"platt": np.array([p for _, _, p in fitted])}
        else:
            y = Y.argmax(axis=1)
            self.coef_, self.intercept_ = self._linear(X, y)
            A, c = fit_matrix_scaling(self._oof_scores(X, y, groups), y, len(self.classes_))
            self.calibration_ = {"A": A, "c": c}

    def _fit_texts(self, texts: list[str], Y: np.ndarray, groups: np.ndarray | None = None,
                   dev: tuple[list[str], np.ndarray] | None = None, known: np.ndarray | None = None) -> None:
        self._fit_matrix(self._fit_features(self._prepare(texts)), Y, groups, known)

    def _proba(self, texts: list[str]) -> np.ndarray:
        scores = self.decision_function(texts)
        if self.multi_label_:
            platt = self.calibration_["platt"]
            return sigmoid(scores * platt[:, 0] + platt[:, 1])
        return softmax(scores @ self.calibration_["A"].T + self.calibration_["c"])

    def decision_function(self, texts: list[str]) -> np.ndarray:
        self._check_fitted()
        X = self._features(self._prepare(list(texts)))
        return np.asarray(X @ self.coef_.T) + self.intercept_

    # --- persistence --------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = self._classifier_meta()
        files = {
            "vocab_word.json": self.word_vectorizer_.get_feature_names_out().tolist(),
            "weights.npz": {
                "coef": self.coef_,
                "intercept": self.intercept_,
                "idf_word": self.word_vectorizer_.idf_,
                **{f"cal_{k}": v for k, v in self.calibration_.items()},
            },
        }
        if self.char_vectorizer_ is not None:
            files["vocab_char.json"] = self.char_vectorizer_.get_feature_names_out().tolist()
            files["weights.npz"]["idf_char"] = self.char_vectorizer_.idf_
        return meta, files

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "TfidfClassifier":
        model = cls(**meta["params"])
        arrays = load_arrays(directory / "weights.npz")
        model.word_vectorizer_ = rebuild_vectorizer(directory, "word", model.word_ngrams, "vocab_word.json",
                                                    arrays["idf_word"], model.sublinear_tf)
        model.char_vectorizer_ = model._char_cache = None
        if "idf_char" in arrays:
            model.char_vectorizer_ = rebuild_vectorizer(directory, "char_wb", model.char_ngrams, "vocab_char.json",
                                                        arrays["idf_char"], model.sublinear_tf)
        model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
        model.calibration_ = {k[4:]: v for k, v in arrays.items() if k.startswith("cal_")}
        model._restore_arrays(arrays, directory)
        model._restore_classifier_meta(meta)
        if model.coef_.ndim != 2 or model.coef_.shape[1] != model._n_features() \
                or model.intercept_.shape != model.coef_.shape[:1]:
            raise ModelIntegrityError(
                f"{directory / 'weights.npz'}: coef has shape {model.coef_.shape} and intercept "
                f"{model.intercept_.shape}; the vocabularies give {model._n_features()} features: the weights do not "
                "match the vocabularies (restore the model folder or retrain)")
        return model

    def _restore_arrays(self, arrays: dict[str, np.ndarray], directory: Path) -> None:
        """A subclass's own arrays of ``weights.npz``, read with the rest (before the weights' width check)."""

    def _n_features(self) -> int:
        """The width of the feature matrix, from the fitted vocabularies."""
        return len(self.word_vectorizer_.vocabulary_) + (
            len(self.char_vectorizer_.vocabulary_) if self.char_vectorizer_ is not None else 0)

    def _feature_names(self) -> list[str]:
        names = list(self.word_vectorizer_.get_feature_names_out())
        if self.char_vectorizer_ is not None:
            names += [f"'{c}'" for c in self.char_vectorizer_.get_feature_names_out()]
        return names

    def top_features(self, n: int = 20) -> dict[str, list[tuple[str, float]]]:
        """The ``n`` features with the largest weight per label (char n-grams quoted)."""
        self._check_fitted()
        names = self._feature_names()
        out = {}
        # a binary single-label head has one row of weights, for the second class
        rows = self.classes_ if len(self.coef_) == len(self.classes_) else self.classes_[1:]
        for j, label in enumerate(rows):
            top = np.argsort(-self.coef_[j])[:n]
            out[label] = [(names[k], float(self.coef_[j, k])) for k in top]
        return out
