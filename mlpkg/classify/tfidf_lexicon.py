"""The default topic tagger: word TF-IDF plus per-tag lexicon densities, calibrated out of fold.

What changes against ``tfidf_linear.v1`` (kept unchanged for old configs):

- the tag lexicons of the config enter as features (:mod:`.lexicon_features`);
- calibration is smoothed Platt scaling (scikit-learn's sigmoid calibration) on scores of the model's
  own training rows predicted out of fold (``cross_val_predict``), with near-copies (``groups``) kept in
  one fold;
- those calibrated out-of-fold probabilities stay on the model (``oof_proba_``) so the trainer
  tunes thresholds on every labelled article instead of a small dev split;
- optionally (``lead_block_chars``, ``lead_block_tags``) a second TF-IDF block over the title and the lead,
  read by the listed tags' classifiers only (:mod:`.lead_block`);
- a tag too rare to score out of fold is decided per tag: it keeps the uncalibrated sigmoid, no
  out-of-fold scores (NaN, so its threshold is not tuned) and an :class:`UncalibratedTagWarning`;
  ``calibration_["out_of_fold"]`` records which tags were calibrated.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import cross_val_predict

from ..core.estimator import Param
from ..core.numeric import sigmoid
from ..core.registry import register
from ..data.folds import grouped_folds, train_rows
from ..errors import DataError, ModelIntegrityError, ParameterError, UncalibratedTagWarning
from ..text.clean import clean
from .classifier import LabelSet
from .lead_block import lead_block_problem, lead_text
from .lexicon_features import TagLexicon, joined, lexicon_problem, split_title
from .linear import sigmoid_calibration
from .tfidf import TfidfClassifier, _vectorizer, rebuild_vectorizer
from .word_ngrams import WordNgramCounter, word_tfidf


@register("tfidf_lexicon.v1")
class TfidfLexiconClassifier(TfidfClassifier):
    """TF-IDF n-grams + tag lexicon densities, one linear head per tag, out-of-fold calibration.

    >>> lexicon = {"koperasi": ["koperasi", "kopdes", "ksp\\\\b"]}
    >>> clf = TfidfLexiconClassifier(lexicon=lexicon).fit(texts, tags, groups=groups)  # doctest: +SKIP
    >>> clf.oof_proba_.shape                                                         # doctest: +SKIP
    (len(texts), 1)
    """

    scores_out_of_fold = True  # fit() leaves oof_proba_: calibrated scores of its rows, predicted out of fold

    params = {
        **TfidfClassifier.params,
        "head": Param(str, "linear_svc", choices=("logreg", "linear_svc"), doc="linear head"),
        "C": Param(float, 0.5, low=1e-6, doc="inverse regularisation"),
        "char_ngrams": Param((list, tuple), (), low=1, item=int, lengths=(0, 2), ascending=True,
                             doc="char n-gram range [min, max]; [] disables"),
        "lexicon": Param((dict, type(None)), None, validator=lexicon_problem,
                         doc="tag -> list of term patterns (regex); None: no lexicon"),
        "lexicon_weight": Param(float, 1.0, low=0.0, doc="scale of the lexicon features (0 = model alone)"),
        "lead_chars": Param(int, 400, low=50, doc="characters of the body that count as the lead"),
        "lead_block_chars": Param((int, type(None)), None, low=50,
                                  doc="a TF-IDF block over the title and this many leading characters of the body, "
                                      "read by lead_block_tags only; null: no block"),
        "lead_block_tags": Param((list, tuple), (), item=str, doc="the tags whose classifiers read the lead block"),
        "lead_block_weight": Param(float, 1.0, low=0.0, exclusive_low=True,
                                   doc="scale of the lead block (its rows have unit length, as the word block's)"),
        "calibration_folds": Param(int, 5, low=2, high=10),
    }

    def __init__(self, *, labels: LabelSet = None, head: str = "linear_svc", C: float = 0.5, alpha: float = 0.3,
                 word_ngrams: list[int] | tuple[int, ...] = (1, 2), char_ngrams: list[int] | tuple[int, ...] = (),
                 min_df: int = 2, max_features_word: int = 150000, max_features_char: int = 150000,
                 char_max_chars: int = 2000, sublinear_tf: bool = True, class_weight: str = "balanced",
                 calibration_folds: int = 5, seed: int = 0, lexicon: dict[str, list[str]] | None = None,
                 lexicon_weight: float = 1.0, lead_chars: int = 400, lead_block_chars: int | None = None,
                 lead_block_tags: list[str] | tuple[str, ...] = (), lead_block_weight: float = 1.0) -> None:
        super().__init__(labels=labels, head=head, C=C, alpha=alpha, word_ngrams=word_ngrams, char_ngrams=char_ngrams,
                         min_df=min_df, max_features_word=max_features_word, max_features_char=max_features_char,
                         char_max_chars=char_max_chars, sublinear_tf=sublinear_tf, class_weight=class_weight,
                         calibration_folds=calibration_folds, seed=seed)
        self.lexicon = lexicon
        self.lexicon_weight = lexicon_weight
        self.lead_chars = lead_chars
        self.lead_block_chars = lead_block_chars
        self.lead_block_tags = lead_block_tags
        self.lead_block_weight = lead_block_weight

    def _head(self, n_classes: int = 2):
        # the dense lexicon columns make liblinear's dual solver need more than its default 1,000 rounds
        return super()._head(n_classes).set_params(max_iter=5000)

    def _lexicon(self) -> TagLexicon:
        return TagLexicon(self.lexicon or {}, self.lead_chars)

    def _blocks(self, texts: list[str], fit: bool) -> sp.csr_matrix:
        # each text is cleaned and normalised once: its joined parts feed the n-grams, the parts the lexicon
        parts = [tuple(map(self._feature_form, split_title(clean(t)))) for t in texts]
        prepared = [joined(p) for p in parts]
        X = self._fit_features(prepared) if fit else self._features(prepared)
        blocks = [X]
        if self.lexicon and self.lexicon_weight != 0:
            blocks.append(sp.csr_matrix(self._lexicon().transform_parts(parts) * self.lexicon_weight))
        if fit:
            self.lead_vectorizer_ = None
        if self.lead_block_chars is not None:
            blocks.append(self._lead_features(parts, fit))
        return sp.hstack(blocks, format="csr") if len(blocks) > 1 else X

    # --- the title-and-lead block (lead_block.py) ----------------------------------------
    def _lead_features(self, parts: list[tuple[str, str]], fit: bool = False) -> sp.csr_matrix:
        """TF-IDF rows of the articles' titles and leads (articles split into feature-form parts)."""
        leads = [lead_text(p, self.lead_block_chars) for p in parts]
        if fit:
            self.lead_vectorizer_ = _vectorizer("word", self.word_ngrams, self.min_df, self.max_features_word,
                                                self.sublinear_tf)
            return self.lead_vectorizer_.fit_transform(leads) * self.lead_block_weight
        return word_tfidf(self.lead_vectorizer_, leads, self._lead_counter()) * self.lead_block_weight

    def _lead_counter(self) -> WordNgramCounter | None:
        return self._counter(self.lead_vectorizer_, "_lead_counter_cache")

    def _lexicon_width(self) -> int:
        return 4 * len(self.lexicon) if self.lexicon and self.lexicon_weight else 0

    def _lead_block_span(self) -> tuple[int, int] | None:
        """The lead block's columns [start, end) in the feature matrix, or None without a block."""
        if getattr(self, "lead_vectorizer_", None) is None:
            return None
        start = super()._n_features() + self._lexicon_width()
        return start, start + len(self.lead_vectorizer_.vocabulary_)

    def _tag_matrices(self, X: sp.csr_matrix) -> list[tuple[sp.csr_matrix, np.ndarray | None]]:
        """Per tag, the columns its classifier learns from: all of ``X`` for a tag of ``lead_block_tags``,
        else ``X`` without the lead block and the indices of the columns kept."""
        span = self._lead_block_span()
        if span is None:
            return [(X, None)] * len(self.classes_)
        keep = np.r_[0 : span[0], span[1] : X.shape[1]]
        narrow = X[:, keep]
        return [(X, None) if tag in self.lead_block_tags else (narrow, keep) for tag in self.classes_]

    def _oof_scores(self, matrices: list[tuple[sp.csr_matrix, np.ndarray | None]], Y: np.ndarray,
                    groups: np.ndarray | None, known: np.ndarray) -> np.ndarray:
        """Decision scores of every training row from a model fitted without its fold (all labels
        share the folds: whole near-copy groups, stratified on each group's rarest label); each label
        learns from the rows where it is ``known``. A tag whose positives (or negatives) are missing
        from some fold's training rows cannot be scored so: its column is NaN, decided per tag so that
        one rare tag leaves the others calibrated."""
        groups = np.arange(len(Y)) if groups is None else groups
        oof = np.full(Y.shape, np.nan)
        n_splits = min(self.calibration_folds, len({str(g) for g in groups}))
        if n_splits < 2:
            return oof
        folds = [(train_rows(test, list(groups)), test) for _, test in
                 grouped_folds(Y, list(groups), n_splits, self.seed)]
        for j in range(Y.shape[1]):
            tag_folds = [(train[known[train, j]], test) for train, test in folds]
            if all(0 < Y[train, j].sum() < len(train) for train, _ in tag_folds):
                oof[:, j] = cross_val_predict(self._head(), matrices[j][0], Y[:, j], cv=tag_folds,
                                              method="decision_function")
        return oof

    def _fit_texts(self, texts: list[str], Y: np.ndarray, groups: np.ndarray | None = None,
                   dev: tuple[list[str], np.ndarray] | None = None, known: np.ndarray | None = None) -> None:
        if not self.multi_label_:
            raise DataError("tfidf_lexicon.v1 is a multi-label tagger: give each text a list of tags")
        unknown = sorted(set(self.lexicon or {}) - set(self.classes_))
        if unknown:
            raise DataError(f"model.lexicon has tags {unknown} that are not in the label set {self.classes_}")
        problem = lead_block_problem(self.lead_block_chars, self.lead_block_tags, list(self.classes_))
        if problem:
            raise ParameterError("lead_block_tags", problem)
        X = self._blocks(texts, fit=True)
        matrices = self._tag_matrices(X)
        coefs, intercepts, platt = [], [], []
        known = np.ones(Y.shape, dtype=bool) if known is None else known  # a tag undecided for a row: not learnt
        oof = self._oof_scores(matrices, Y, groups, known)
        out_of_fold = ~np.isnan(oof).any(axis=0)
        # a tag without out-of-fold scores keeps the uncalibrated sigmoid, and no scores to tune on (NaN):
        # Platt scaling or a threshold fitted on in-sample scores would make it look surer than it is
        self.oof_proba_ = np.full(Y.shape, np.nan)
        for j in range(Y.shape[1]):
            rows, y = known[:, j], Y[:, j].astype(int)
            Xj, columns = matrices[j]
            W, b = self._linear(Xj[rows], y[rows])
            if columns is not None:  # a tag that does not read the lead block: zero weights there
                W, narrow = np.zeros((1, X.shape[1]), dtype=W.dtype), W
                W[0, columns] = narrow[0]
            a, c = sigmoid_calibration(oof[rows, j], y[rows]) if out_of_fold[j] else (1.0, 0.0)
            if out_of_fold[j]:
                self.oof_proba_[:, j] = sigmoid(a * oof[:, j] + c)
            coefs.append(W[0])
            intercepts.append(b[0])
            platt.append((a, c))
        self.coef_ = np.vstack(coefs).astype(np.float32)
        self.intercept_ = np.asarray(intercepts, dtype=np.float32)
        self.calibration_ = {"platt": np.asarray(platt), "out_of_fold": out_of_fold}
        for j in np.flatnonzero(~out_of_fold):
            warnings.warn(UncalibratedTagWarning(
                f"tag {self.classes_[j]!r} has {int(Y[:, j].sum())} positive(s) of {len(Y)} rows: too few to "
                f"calibrate out of fold ({self.calibration_folds} folds need positives in every fold's training "
                "rows); its probability is the uncalibrated sigmoid and its threshold stays 0.5 (not tuned on "
                "scores of its own training rows). Label more of them (mlpkg label)"), stacklevel=4)

    def decision_function(self, texts: list[str]) -> np.ndarray:
        self._check_fitted()
        X = self._blocks(list(texts), fit=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta, files = super()._state()
        if self.lead_vectorizer_ is not None:
            files["vocab_lead.json"] = self.lead_vectorizer_.get_feature_names_out().tolist()
            files["weights.npz"]["idf_lead"] = self.lead_vectorizer_.idf_
        return meta, files

    def _restore_arrays(self, arrays: dict[str, np.ndarray], directory: Path) -> None:
        if (self.lead_block_chars is not None) != ("idf_lead" in arrays):
            raise ModelIntegrityError(f"{directory / 'weights.npz'}: lead_block_chars is {self.lead_block_chars} but "
                                      f"idf_lead is {'present' if 'idf_lead' in arrays else 'missing'} (restore the "
                                      "model folder or retrain)")
        self.lead_vectorizer_ = None if self.lead_block_chars is None else rebuild_vectorizer(
            directory, "word", self.word_ngrams, "vocab_lead.json", arrays["idf_lead"], self.sublinear_tf)

    def _n_features(self) -> int:
        span = self._lead_block_span()
        return super()._n_features() + self._lexicon_width() + (span[1] - span[0] if span else 0)

    def _feature_names(self) -> list[str]:
        lexicon = self._lexicon().feature_names if self._lexicon_width() else []
        lead = [f"lead:{t}" for t in self.lead_vectorizer_.get_feature_names_out()] if self._lead_block_span() else []
        return super()._feature_names() + lexicon + lead
