"""trained_lgbm.v3: trained_lgbm.v2's sentence scores, then a regressor that picks the whole summary.

v2 takes its best sentences and chooses how many by the expected F1 against the gold sentences.
v3 combines the best ``rerank_top`` sentences into every set of ``min_k`` to ``k`` of them
(:mod:`mlpkg.summarize.rerank`) and a second LightGBM model rates each set by the ROUGE-1 it should
score against a reference summary, from what v2 says of its sentences (their probabilities, words,
positions); the summary is the best-rated set. It learns the sentence count and the trade between
one more likely sentence and more words from the references themselves, not from a rule.

The rater learns on sets built from out-of-fold sentence scores: the training articles are split
into ``inner_folds`` groups, and v2's trees are trained again without each group to score it, so
the rater sees scores as unsure as those of unseen articles (the v2 trees trained on all articles
are the ones that score new text). Its target is each set's ROUGE-1 minus the mean of its article's
sets, a regression (LightGBM ``regression``), since only the order within an article matters.

With ``mmr_lambda`` below 1, a ``ratio``, a ``max_words`` budget or ``auto_k`` off it chooses as v2
(those ask for another rule than the references' ROUGE). Saved as v2 (``model.txt``, the
calibration, ``category_reader.npz``) plus ``reranker.txt``, LightGBM's text dump of the rater; no
pickle. Scored by walking both models' trees as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.estimator import Param
from ..core.registry import register
from ..errors import DataError, ModelIntegrityError
from .base import BATCH_ARTICLES
from .document import Document
from .lgbm_category import CategoryLightGBMExtractor
from .lgbm_extractor import read_booster
from .rerank import CANDIDATE_FEATURE_NAMES, best_sets, candidate_rouge1, candidates
from .trees import BoostedTrees
from .vectorized import Batch

RERANKER_FILE = "reranker.txt"


@register("trained_lgbm.v3")
class RerankedLightGBMExtractor(CategoryLightGBMExtractor):
    """Learns as v2 (``fit(sentences, gold, references=summaries, categories=categories)``; the references
    are required), then to rate whole summaries; summarises raw text as v1 and v2.

    >>> model = RerankedLightGBMExtractor().fit(sentences, gold, references=summaries,   # doctest: +SKIP
    ...                                         categories=["olahraga", "teknologi", ...])
    >>> model.summarize(raw_article_text)                                                  # doctest: +SKIP
    """

    params = {
        **CategoryLightGBMExtractor.params,
        "rerank_top": Param(int, 5, low=2, high=8, doc="the best sentences combined into candidate summaries"),
        "rerank_rounds": Param(int, 100, low=1, doc="boosting rounds of the summary rater"),
        "rerank_learning_rate": Param(float, 0.1, low=1e-4, high=1.0, doc="shrinkage of the summary rater"),
        "inner_folds": Param(int, 4, low=2, high=10,
                             doc="groups of training articles scored out of fold for the rater to learn on"),
    }

    def __init__(self, *, k: int = 5, max_words: int | None = None, ratio: float | None = None,
                 mmr_lambda: float = 1.0, duplicate_threshold: float = 0.7, auto_k: bool = True, min_k: int = 2,
                 objective: str = "binary", relevance: str = "rouge_gain", content_features: bool = True,
                 n_estimators: int = 1000, learning_rate: float = 0.05, num_leaves: int = 15, max_depth: int = 5,
                 min_child_samples: int = 50, seed: int = 0, rerank_top: int = 5, rerank_rounds: int = 100,
                 rerank_learning_rate: float = 0.1, inner_folds: int = 4) -> None:
        super().__init__(k=k, max_words=max_words, ratio=ratio, mmr_lambda=mmr_lambda,
                         duplicate_threshold=duplicate_threshold, auto_k=auto_k, min_k=min_k, objective=objective,
                         relevance=relevance, content_features=content_features, n_estimators=n_estimators,
                         learning_rate=learning_rate, num_leaves=num_leaves, max_depth=max_depth,
                         min_child_samples=min_child_samples, seed=seed)
        self.rerank_top = rerank_top
        self.rerank_rounds = rerank_rounds
        self.rerank_learning_rate = rerank_learning_rate
        self.inner_folds = inner_folds

    def fit(self, documents: Sequence[Sequence[str]] | None = None, gold: Sequence[Sequence[bool]] | None = None,
            *, titles: Sequence[str | None] | None = None, paragraphs: Sequence[Sequence[int]] | None = None,
            dev: tuple[Sequence[Sequence[str]], Sequence[Sequence[bool]]] | None = None,
            references: Sequence[Sequence[str]] | None = None,
            categories: Sequence[str] | None = None) -> "RerankedLightGBMExtractor":
        """v2's ``fit``; ``references`` (each article's summary as a sentence list) are required: the rater
        learns their ROUGE-1."""
        if references is None:
            raise DataError(f"{self.registered_name} learns the ROUGE-1 of whole summaries: fit needs references=, "
                            "each article's reference summary as a list of sentences")
        if documents is not None and len(references) != len(documents):
            raise DataError(f"fit got {len(documents)} articles but {len(references)} reference summaries")
        if documents is not None and len(documents) < 2 * self.inner_folds:
            raise DataError(f"{self.registered_name} needs at least {2 * self.inner_folds} articles "
                            f"(inner_folds={self.inner_folds}); got {len(documents)}")
        return super().fit(documents, gold, titles=titles, paragraphs=paragraphs, dev=dev, references=references,
                           categories=categories)

    @property
    def _reranks(self) -> bool:
        return self.auto_k and self.ratio is None and self.max_words is None and self.mmr_lambda >= 1.0

    def _sizes(self) -> tuple[int, int]:
        high = min(self.k, self.rerank_top)
        return min(self.min_k, high), high

    def _after_fit(self, docs: list[Document], X: np.ndarray, grades: np.ndarray, y: np.ndarray, sizes: np.ndarray,
                   references: Sequence[Sequence[str]] | None) -> None:
        """Out-of-fold sentence scores for every training article, their candidate sets, and the rater."""
        import lightgbm

        group = np.random.default_rng(self.seed).permutation(len(docs)) % self.inner_folds
        row_group = np.repeat(group, sizes)
        raw = np.zeros(len(y))
        for g in range(self.inner_folds):
            inside = row_group != g
            if y[inside].all() or not y[inside].any():
                raise DataError(f"inner fold {g}: the other articles have no gold (or only gold) sentences")
            _, trees, _ = self._train_booster(X[inside], grades[inside], y[inside], sizes[group != g])
            raw[~inside] = trees.decision_function(X[~inside])
        doc = np.repeat(np.arange(len(docs)), sizes)
        calibration = self._calibrate(raw, y, doc)
        probabilities = self.probabilities(raw, doc, calibration)
        low, high = self._sizes()
        offsets = np.r_[0, np.cumsum(sizes)]
        features, targets, article = [], [], []
        for start in range(0, len(docs), BATCH_ARTICLES):
            batch = Batch(docs[start:start + BATCH_ARTICLES])
            rows = slice(int(offsets[start]), int(offsets[start + len(batch)]))
            found = candidates(batch, raw[rows], probabilities[rows], top=self.rerank_top, low=low, high=high,
                               duplicate_threshold=self.duplicate_threshold)
            rouge = candidate_rouge1(found, batch, references[start:start + len(batch)])
            features.append(found.features)
            targets.append(rouge)
            article.append(found.doc + start)
        X_sets, rouge, article = np.vstack(features), np.concatenate(targets), np.concatenate(article)
        mean = np.bincount(article, weights=rouge) / np.maximum(np.bincount(article), 1)
        params = {"objective": "regression", "learning_rate": self.rerank_learning_rate,
                  "num_leaves": self.num_leaves, "max_depth": self.max_depth,
                  "min_data_in_leaf": self.min_child_samples, "bagging_fraction": 0.8, "bagging_freq": 1,
                  "feature_fraction": 0.8, "seed": self.seed, "num_threads": 1, "verbose": -1}
        self.reranker_ = lightgbm.train(params, lightgbm.Dataset(X_sets, rouge - mean[article]),
                                        num_boost_round=self.rerank_rounds)
        self.rerank_trees_ = BoostedTrees.from_lightgbm(self.reranker_)

    def choose_in_batch(self, batch: Batch, scores: np.ndarray) -> list[list[int]]:
        """Per article, the candidate set the rater rates best (v2's choice when the parameters ask for
        another rule: see the module's text)."""
        if not self._reranks or not batch.n:
            return super().choose_in_batch(batch, scores)
        low, high = self._sizes()
        found = candidates(batch, scores, self.probabilities(scores, batch.doc), top=self.rerank_top, low=low,
                           high=high, duplicate_threshold=self.duplicate_threshold)
        return best_sets(found, self.rerank_trees_.decision_function(found.features), batch)

    # --- persistence: v2's files and the rater's text dump ------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta, files = super()._state()
        meta["candidate_features"] = list(CANDIDATE_FEATURE_NAMES)
        return meta, {**files, RERANKER_FILE: self.reranker_.model_to_string()}

    @classmethod
    def _from_state(cls, meta: dict[str, Any], directory: Path) -> "RerankedLightGBMExtractor":
        model = super()._from_state(meta, directory)
        if meta.get("candidate_features") != list(CANDIDATE_FEATURE_NAMES):
            raise ModelIntegrityError(f"{directory}: the summary rater was trained on other features "
                                      f"({meta.get('candidate_features')}); retrain it with this version of mlpkg")
        model.reranker_, model.rerank_trees_ = read_booster(directory / RERANKER_FILE, len(CANDIDATE_FEATURE_NAMES))
        return model
