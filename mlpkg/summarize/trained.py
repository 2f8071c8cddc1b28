"""A trained extractor: which sentences would IndoSum's annotators have picked?

Each sentence gets the features of :mod:`mlpkg.summarize.sentence_features`; a head learns the
probability that it is a gold summary sentence. The head is gradient-boosted trees (exported
to arrays, see :mod:`mlpkg.summarize.trees`) or a logistic regression. The summary takes the
most probable sentences; how many (``auto_k``) is chosen per article to maximise the expected F1
against the gold sentences, since IndoSum's summaries run from two to five sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.directory import load_arrays
from ..core.estimator import Param
from ..core.numeric import sigmoid
from ..errors import DataError, ModelIntegrityError
from .base import BATCH_ARTICLES, SELECTION_PARAMS, Summarizer
from .sentence_features import FEATURE_NAMES, sentence_features
from .trees import BoostedTrees
from .vectorized import Batch


def expected_f1_counts(probabilities: np.ndarray, doc: np.ndarray, sizes: np.ndarray, low: int,
                       high: int) -> np.ndarray:
    """Per document, the number of top sentences that maximises the expected F1 against gold.

    Taking the ``j`` most probable sentences hits ``sum(top j)`` gold ones on average, out of
    ``sum(all)`` expected gold sentences, so F1 is about ``2 * sum(top j) / (j + sum(all))``;
    ``j`` stays between ``low`` and ``high`` (and the article's length). ``doc`` is the document
    of each probability, grouped; ``sizes`` the sentences per document.

    >>> expected_f1_counts(np.array([0.9, 0.8, 0.6, 0.1, 0.1, 0.2]), np.array([0, 0, 0, 0, 0, 1]),
    ...                    np.array([5, 1]), 1, 5).tolist()
    [3, 1]
    """
    counts = np.zeros(len(sizes), dtype=np.int64)
    if not len(probabilities):
        return counts
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    order = np.lexsort((-probabilities, doc))
    p, group = probabilities[order], doc[order]
    rank = np.arange(len(p)) - starts[group] + 1
    running = np.cumsum(p)
    within = running - np.r_[0.0, running][starts][group]
    f1 = 2 * within / (rank + np.bincount(doc, weights=probabilities, minlength=len(sizes))[group])
    allowed = (rank >= np.minimum(low, sizes)[group]) & (rank <= high)
    best = np.lexsort((rank, -np.where(allowed, f1, -1.0), group))
    filled = sizes > 0
    counts[filled] = rank[best[starts[filled]]]
    return counts


class TrainedExtractor(Summarizer):
    """Learns from gold sentence labels: ``fit(sentence_lists, label_lists, paragraphs=...)``.

    >>> model = TrainedExtractor().fit(train_sentences, train_gold, paragraphs=train_paragraphs)  # doctest: +SKIP
    >>> model.summarize(raw_article_text)                                                       # doctest: +SKIP
    """

    registered_name = "trained_extractor.v1"
    needs_training = True

    params = {
        **SELECTION_PARAMS,
        "k": Param(int, 5, low=1, doc="sentences per summary; with auto_k, the most sentences"),
        "auto_k": Param(bool, True, doc="choose between min_k and k sentences per article by expected F1"),
        "min_k": Param(int, 2, low=1, doc="with auto_k, the fewest sentences"),
        "head": Param(str, "gbdt", choices=("gbdt", "logreg"), doc="gradient-boosted trees or logistic regression"),
        "max_iter": Param(int, 300, low=1, doc="gbdt: most boosting rounds (early stopping on 10% of the rows)"),
        "learning_rate": Param(float, 0.1, low=1e-4, high=1.0, doc="gbdt: shrinkage"),
        "max_depth": Param(int, 5, low=1, high=10, doc="gbdt: depth of every tree"),
        "l2_regularization": Param(float, 1.0, low=0.0, doc="gbdt: L2 penalty on leaf values"),
        "C": Param(float, 1.0, low=1e-6, doc="logreg: inverse regularisation"),
        "seed": Param(int, 0),
    }

    def __init__(self, *, k: int = 5, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7, auto_k: bool = True, min_k: int = 2,
                 head: str = "gbdt", max_iter: int = 300, learning_rate: float = 0.1, max_depth: int = 5,
                 l2_regularization: float = 1.0, C: float = 1.0, seed: int = 0) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold)
        self.auto_k = auto_k
        self.min_k = min_k
        self.head = head
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.l2_regularization = l2_regularization
        self.C = C
        self.seed = seed

    def fit(self, documents: Sequence[Sequence[str]] | None = None, gold: Sequence[Sequence[bool]] | None = None,
            *, titles: Sequence[str | None] | None = None, paragraphs: Sequence[Sequence[int]] | None = None,
            dev: tuple[Sequence[Sequence[str]], Sequence[Sequence[bool]]] | None = None) -> "TrainedExtractor":
        """Learn from articles split into sentences and one gold flag (bool) per sentence (``dev`` unused)."""
        self._validate()
        docs = self.labelled_documents(documents, gold, titles, paragraphs)
        y = np.concatenate([np.asarray(g, dtype=bool) for g in gold] or [np.zeros(0, dtype=bool)])
        if y.all() or not y.any():
            raise DataError(f"fit needs both gold and non-gold sentences; got {int(y.sum())} gold of {len(y)}")
        self.uses_titles_ = any(doc.title for doc in docs)
        X = self._features(docs)
        if self.head == "gbdt":
            self.trees_ = self._fit_trees(X, y)
            self.linear_ = None
        else:
            self.linear_ = self._fit_linear(X, y)
            self.trees_ = None
        self.is_fitted_ = True
        return self

    def _features(self, docs) -> np.ndarray:
        blocks = [sentence_features(Batch(docs[i:i + BATCH_ARTICLES]), self.uses_titles_)
                  for i in range(0, len(docs), BATCH_ARTICLES)]
        return np.vstack(blocks) if blocks else np.zeros((0, len(FEATURE_NAMES)))

    def _fit_trees(self, X: np.ndarray, y: np.ndarray) -> BoostedTrees:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        model = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_depth=self.max_depth,
            l2_regularization=self.l2_regularization, early_stopping=len(y) >= 1000, random_state=self.seed)
        # Tens of thousands of rows: OpenMP threads cost more than they save, and on a busy
        # machine they can make the fit several times slower.
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(X, y)
        return BoostedTrees.from_sklearn(model)

    def _fit_linear(self, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed).fit((X - mean) / scale, y)
        return {"mean": mean, "scale": scale, "coef": model.coef_[0], "intercept": model.intercept_}

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """Probability that each feature row is a gold summary sentence."""
        if self.trees_ is not None:
            return self.trees_.predict_proba(X)
        lin = self.linear_
        return sigmoid(((X - lin["mean"]) / lin["scale"]) @ lin["coef"] + lin["intercept"][0])

    def score_batch(self, batch: Batch) -> np.ndarray:
        return self.probabilities(sentence_features(batch, self.uses_titles_))

    def sentence_counts(self, batch: Batch, scores: np.ndarray) -> np.ndarray:
        if self.auto_k and self.ratio is None and self.max_words is None:
            return expected_f1_counts(scores, batch.doc, batch.sizes, min(self.min_k, self.k), self.k)
        return super().sentence_counts(batch, scores)

    # --- persistence --------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.trees_ is not None:
            arrays = self.trees_.arrays()
        else:
            arrays = {f"linear_{k}": v for k, v in self.linear_.items()}
        return {"features": list(FEATURE_NAMES), "uses_titles": self.uses_titles_}, {"weights.npz": arrays}

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "TrainedExtractor":
        if meta.get("features") != list(FEATURE_NAMES):
            raise ModelIntegrityError(f"{directory}: the model was trained on other sentence features "
                                      f"({meta.get('features')}); retrain it with this version of mlpkg")
        model = cls(**meta["params"])
        arrays = load_arrays(directory / "weights.npz")
        model.uses_titles_ = bool(meta["uses_titles"])
        model.trees_ = BoostedTrees.from_arrays(arrays) if model.head == "gbdt" else None
        model.linear_ = None if model.head == "gbdt" else {k[len("linear_"):]: v for k, v in arrays.items()
                                                          if k.startswith("linear_")}
        model.is_fitted_ = True
        return model
