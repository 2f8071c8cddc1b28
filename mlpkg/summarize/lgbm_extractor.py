"""A LightGBM extractor: boosted trees on position and content features, as a classifier or a ranker.

Like :class:`~mlpkg.summarize.trained.TrainedExtractor` it scores sentences with boosted trees
over the position, length and similarity features of :mod:`mlpkg.summarize.sentence_features`;
it adds the content features of :mod:`mlpkg.summarize.content_features` (title or first sentence,
rest of the article, names, numbers, speech) and trains with LightGBM. ``objective`` picks the
loss: ``"binary"`` (the default) classifies gold sentences one by one; ``"lambdarank"`` (Burges,
2010) and ``"rank_xendcg"`` (Bruch, 2021) learn, per article, which sentence should come before
which, on the graded relevance of :mod:`mlpkg.summarize.relevance` (gold flags and ROUGE-1
precision against the reference). On IndoSum's rotated folds the classifier scored best: the
rankers order the top three as well, but their scores only compare sentences of one article, so
the sentence count is worse (benchmarks/results/summarizers.md).

How many sentences: a logistic calibration of the score (and its distance to the article's best)
is fitted on the 10% of training articles held out for early stopping; the count is then the
expected-F1 one of the trained extractor (2 to ``k``). Selection is redundancy-aware through the
base class (``mmr_lambda`` below 1, near-duplicates never twice); the summary is in document order.

The booster is saved as LightGBM's own text dump (``model.txt``, no pickle) beside the calibration
arrays, all listed in the folder's manifest. Needs ``lightgbm`` (``pip install 'mlpkg[lightgbm]'``)
to train and to read the dump; sentences are scored by walking its trees as arrays
(:class:`~mlpkg.summarize.trees.BoostedTrees`), twice as fast as LightGBM's own predict on a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.directory import load_arrays
from ..core.estimator import Param
from ..core.numeric import sigmoid
from ..core.registry import register
from ..errors import DataError, ModelIntegrityError
from .base import BATCH_ARTICLES, SELECTION_PARAMS, Summarizer
from .content_features import CONTENT_FEATURE_NAMES
from .content_features import content_features as compute_content_features
from .relevance import relevance_grades
from .sentence_features import FEATURE_NAMES, sentence_features
from .trained import expected_f1_counts
from .trees import BoostedTrees
from .vectorized import Batch

MODEL_FILE = "model.txt"
CALIBRATION_FILE = "calibration.npz"
HELD_OUT = 0.1  # share of training articles for early stopping and the calibration


def read_booster(path: Path, n_features: int):
    """A LightGBM text dump of numeric splits over ``n_features`` features and its trees as arrays:
    ``(booster, trees)``; anything else is a :class:`~mlpkg.errors.ModelIntegrityError` naming the file."""
    import lightgbm

    try:
        booster = lightgbm.Booster(model_str=path.read_text(encoding="utf-8"))
        trees = BoostedTrees.from_lightgbm(booster)
    except (OSError, UnicodeDecodeError, ValueError, lightgbm.basic.LightGBMError) as exc:
        raise ModelIntegrityError(f"{path}: not a LightGBM model dump of numeric splits ({exc}); retrain it") from None
    if booster.num_feature() != n_features:
        raise ModelIntegrityError(f"{path}: {booster.num_feature()} features, expected {n_features}; retrain it")
    return booster, trees


@register("trained_lgbm.v1")
class LightGBMExtractor(Summarizer):
    """Learns from gold sentences (and, to rank, the references): ``fit(sentences, gold, references=summaries)``.

    >>> model = LightGBMExtractor().fit(train_sentences, train_gold, references=train_summaries)  # doctest: +SKIP
    >>> model.summarize(raw_article_text)                                                           # doctest: +SKIP
    """

    needs_training = True
    uses_references = True
    extra = "lightgbm"

    params = {
        **SELECTION_PARAMS,
        "k": Param(int, 5, low=1, doc="sentences per summary; with auto_k, the most sentences"),
        "auto_k": Param(bool, True, doc="choose between min_k and k sentences per article by expected F1"),
        "min_k": Param(int, 2, low=1, doc="with auto_k, the fewest sentences"),
        "objective": Param(str, "binary", choices=("binary", "lambdarank", "rank_xendcg"),
                           doc="classify sentences one by one, or learn to rank each article's sentences"),
        "relevance": Param(str, "rouge_gain", choices=("rouge_gain", "gold"),
                           doc="ranking grades: gold flags and ROUGE-1 precision against the reference, "
                               "or gold flags only"),
        "content_features": Param(bool, True, doc="add the content features (title, rest of article, names, "
                                                  "numbers, speech) to the position and similarity ones"),
        "n_estimators": Param(int, 1000, low=1, doc="most boosting rounds (early stopping on held-out articles)"),
        "learning_rate": Param(float, 0.05, low=1e-4, high=1.0, doc="shrinkage"),
        "num_leaves": Param(int, 15, low=2, high=1024, doc="leaves per tree"),
        "max_depth": Param(int, 5, low=1, high=10, doc="depth of every tree (scoring walks complete trees of it)"),
        "min_child_samples": Param(int, 50, low=1, doc="fewest sentences in a leaf"),
        "seed": Param(int, 0),
    }

    def __init__(self, *, k: int = 5, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7, auto_k: bool = True, min_k: int = 2,
                 objective: str = "binary", relevance: str = "rouge_gain", content_features: bool = True,
                 n_estimators: int = 1000, learning_rate: float = 0.05, num_leaves: int = 15, max_depth: int = 5,
                 min_child_samples: int = 50, seed: int = 0) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold)
        self.auto_k = auto_k
        self.min_k = min_k
        self.objective = objective
        self.relevance = relevance
        self.content_features = content_features
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.seed = seed

    @property
    def feature_names(self) -> list[str]:
        return [*FEATURE_NAMES, *(CONTENT_FEATURE_NAMES if self.content_features else ())]

    def fit(self, documents: Sequence[Sequence[str]] | None = None, gold: Sequence[Sequence[bool]] | None = None,
            *, titles: Sequence[str | None] | None = None, paragraphs: Sequence[Sequence[int]] | None = None,
            dev: tuple[Sequence[Sequence[str]], Sequence[Sequence[bool]]] | None = None,
            references: Sequence[Sequence[str]] | None = None) -> "LightGBMExtractor":
        """Learn from articles split into sentences, their gold flags and (for graded relevance) reference
        summaries as sentence lists; without ``references`` the grades are the gold flags (``dev`` unused)."""
        self._validate()
        docs = self.labelled_documents(documents, gold, titles, paragraphs)
        keep = [i for i, doc in enumerate(docs) if len(doc)]
        docs = [docs[i] for i in keep]
        flags = [np.asarray(gold[i], dtype=bool) for i in keep]
        y = np.concatenate(flags or [np.zeros(0, dtype=bool)])
        if y.all() or not y.any() or len(docs) < 2:
            raise DataError(f"fit needs two articles or more, with gold and non-gold sentences; got {len(docs)} "
                            f"articles, {int(y.sum())} gold of {len(y)} sentences")
        self.uses_titles_ = any(doc.title for doc in docs)
        X = self._features(docs)
        if self.objective == "binary":
            grades = y.astype(np.int64)
        elif self.relevance == "rouge_gain" and references is not None:
            grades = np.concatenate(relevance_grades([d.sentences for d in docs], flags,
                                                     [references[i] for i in keep]))
        else:
            grades = 2 * y.astype(np.int64)

        sizes = np.array([len(d) for d in docs])
        self.booster_, self.trees_, self.calibration_ = self._train_booster(X, grades, y, sizes)
        self._after_fit(docs, X, grades, y, sizes, None if references is None else [references[i] for i in keep])
        self.is_fitted_ = True
        return self

    def _train_booster(self, X: np.ndarray, grades: np.ndarray, y: np.ndarray, sizes: np.ndarray):
        """Trees on the rows of articles of ``sizes`` sentences, early-stopped on 10% of the articles, and the
        calibration fitted on those: ``(booster, its trees as arrays, calibration)``."""
        import lightgbm

        held = np.random.default_rng(self.seed).random(len(sizes)) < HELD_OUT
        if held.all() or not held.any():
            held = np.arange(len(sizes)) == 0
        row_held = np.repeat(held, sizes)
        params = {"objective": self.objective, "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
                  "max_depth": self.max_depth, "min_data_in_leaf": self.min_child_samples, "bagging_fraction": 0.8,
                  "bagging_freq": 1, "feature_fraction": 0.8, "seed": self.seed, "num_threads": 1, "verbose": -1}
        if self.objective != "binary":
            params.update(metric="ndcg", eval_at=[3], label_gain=[0, 1, 3, 7])
        else:
            params.update(metric="binary_logloss")
        train = lightgbm.Dataset(X[~row_held], grades[~row_held], group=sizes[~held])
        valid = lightgbm.Dataset(X[row_held], grades[row_held], group=sizes[held], reference=train)
        booster = lightgbm.train(params, train, num_boost_round=self.n_estimators, valid_sets=[valid],
                                 callbacks=[lightgbm.early_stopping(30, verbose=False)])
        trees = BoostedTrees.from_lightgbm(booster)
        raw = trees.decision_function(X[row_held])
        return booster, trees, self._calibrate(raw, y[row_held], np.repeat(np.arange(held.sum()), sizes[held]))

    def _after_fit(self, docs, X: np.ndarray, grades: np.ndarray, y: np.ndarray, sizes: np.ndarray,
                   references: Sequence[Sequence[str]] | None) -> None:
        """What a subclass learns once the trees are trained, from the same rows (nothing here)."""

    def _features(self, docs) -> np.ndarray:
        blocks = [self._batch_features(Batch(docs[i:i + BATCH_ARTICLES])) for i in range(0, len(docs), BATCH_ARTICLES)]
        return np.vstack(blocks) if blocks else np.zeros((0, len(self.feature_names)))

    def _batch_features(self, batch: Batch) -> np.ndarray:
        base = sentence_features(batch, self.uses_titles_)
        return np.hstack([base, compute_content_features(batch, self.uses_titles_)]) if self.content_features else base

    def _raw_scores(self, X: np.ndarray) -> np.ndarray:
        return self.trees_.decision_function(X)

    def _calibration_inputs(self, raw: np.ndarray, doc: np.ndarray) -> np.ndarray:
        best = np.full(int(doc.max()) + 1 if len(doc) else 0, -np.inf)
        np.maximum.at(best, doc, raw)
        return np.column_stack([raw, raw - best[doc]])

    def _calibrate(self, raw: np.ndarray, y: np.ndarray, doc: np.ndarray) -> dict[str, np.ndarray]:
        """Logistic regression of gold on the raw score and its gap to the article's best (held-out articles)."""
        from sklearn.linear_model import LogisticRegression

        Z = self._calibration_inputs(raw, doc)
        if y.all() or not y.any():  # a held-out set too small to calibrate on: the identity on the score
            return {"coef": np.array([1.0, 0.0]), "intercept": np.zeros(1)}
        model = LogisticRegression(max_iter=1000, random_state=self.seed).fit(Z, y)
        return {"coef": model.coef_[0], "intercept": model.intercept_}

    def score_batch(self, batch: Batch) -> np.ndarray:
        return self._raw_scores(self._batch_features(batch))

    def probabilities(self, scores: np.ndarray, doc: np.ndarray,
                      calibration: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Calibrated probability that each sentence is a gold one, from its score and its article's best
        (with the fitted calibration, or ``calibration``)."""
        calibration = self.calibration_ if calibration is None else calibration
        Z = self._calibration_inputs(scores, doc)
        return sigmoid(Z @ calibration["coef"] + calibration["intercept"][0])

    def sentence_counts(self, batch: Batch, scores: np.ndarray) -> np.ndarray:
        if self.auto_k and self.ratio is None and self.max_words is None:
            return expected_f1_counts(self.probabilities(scores, batch.doc), batch.doc, batch.sizes,
                                      min(self.min_k, self.k), self.k)
        return super().sentence_counts(batch, scores)

    # --- persistence: LightGBM's text dump and the calibration arrays ---------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = {"features": self.feature_names, "uses_titles": self.uses_titles_}
        return meta, {MODEL_FILE: self.booster_.model_to_string(), CALIBRATION_FILE: self.calibration_}

    def _read_more_state(self, directory: Path) -> None:
        """What a subclass keeps beside the trees and needs before its feature names are known (none here)."""

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "LightGBMExtractor":
        model = cls(**meta["params"])
        model._read_more_state(directory)
        if meta.get("features") != model.feature_names:
            raise ModelIntegrityError(f"{directory}: the model was trained on other sentence features "
                                      f"({meta.get('features')}); retrain it with this version of mlpkg")
        model.booster_, model.trees_ = read_booster(directory / MODEL_FILE, len(model.feature_names))
        model.calibration_ = load_arrays(directory / CALIBRATION_FILE)
        model.uses_titles_ = bool(meta["uses_titles"])
        model.is_fitted_ = True
        return model
