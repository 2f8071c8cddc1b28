"""trained_lgbm.v2: trained_lgbm.v1 plus each article's category as read from its text.

How a summary starts depends on the kind of article: IndoSum's references skip the first sentence
of 47% of the teknologi articles and 8% of the tajuk utama ones. Raw text comes without its
category, so a :class:`~mlpkg.summarize.category_reader.CategoryReader` reads it from the words,
and its probabilities of each category are features of every sentence of the article. It learns
from the training articles' categories (``fit(..., categories=...)``; ``data.category_field`` in a
config); the trees learn on its out-of-fold probabilities, so that they trust the category as much
as it deserves in unseen text, where the reader is sometimes wrong.

Saved as v1 (LightGBM's text dump, the calibration) plus ``category_reader.npz``: the reader's
weights, intercepts and class names as plain arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.directory import load_arrays
from ..core.registry import register
from ..errors import DataError
from .base import BATCH_ARTICLES
from .category_reader import CategoryReader
from .lgbm_extractor import LightGBMExtractor
from .vectorized import Batch

READER_FILE = "category_reader.npz"


@register("trained_lgbm.v2")
class CategoryLightGBMExtractor(LightGBMExtractor):
    """Learns from gold sentences, references and each article's category:
    ``fit(sentences, gold, references=summaries, categories=categories)``; summarises raw text as v1.

    >>> model = CategoryLightGBMExtractor().fit(sentences, gold, references=summaries,   # doctest: +SKIP
    ...                                         categories=["olahraga", "teknologi", ...])
    >>> model.summarize(raw_article_text)                                                 # doctest: +SKIP
    """

    uses_categories = True
    _train_categories: np.ndarray | None = None  # while fitting: the reader's out-of-fold rows per sentence

    @property
    def feature_names(self) -> list[str]:
        return [*super().feature_names, *(f"category={c}" for c in self.reader_.classes)]

    def fit(self, documents: Sequence[Sequence[str]] | None = None, gold: Sequence[Sequence[bool]] | None = None,
            *, titles: Sequence[str | None] | None = None, paragraphs: Sequence[Sequence[int]] | None = None,
            dev: tuple[Sequence[Sequence[str]], Sequence[Sequence[bool]]] | None = None,
            references: Sequence[Sequence[str]] | None = None,
            categories: Sequence[str] | None = None) -> "CategoryLightGBMExtractor":
        """v1's ``fit``, and ``categories``: each article's category (e.g. IndoSum's ``category`` field)."""
        self._validate()
        docs = self.labelled_documents(documents, gold, titles, paragraphs)
        if categories is None:
            raise DataError(f"{self.registered_name} learns each article's category: fit needs categories=, one per "
                            "article (in a config, data.category_field names the column)")
        categories = list(categories)
        if len(categories) != len(docs):
            raise DataError(f"fit got {len(docs)} articles but {len(categories)} categories")
        empty = [i for i, c in enumerate(categories) if not isinstance(c, str) or not c.strip()]
        if empty:
            raise DataError(f"article {empty[0]}: the category must be a non-empty name, got {categories[empty[0]]!r}")
        batches = [Batch(docs[i:i + BATCH_ARTICLES]) for i in range(0, len(docs), BATCH_ARTICLES)]
        self.reader_, out_of_fold = CategoryReader.fit(batches, categories, self.seed)
        # one row per sentence, in the order v1's fit stacks them (an article without sentences has none)
        self._train_categories = np.repeat(out_of_fold, [len(d) for d in docs], axis=0)
        try:
            return super().fit(documents, gold, titles=titles, paragraphs=paragraphs, dev=dev, references=references)
        finally:
            self._train_categories = None

    def _features(self, docs) -> np.ndarray:
        X = super()._features(docs)
        if self._train_categories is not None:  # fitting: what the reader read without seeing the article
            X[:, -self._train_categories.shape[1]:] = self._train_categories
        return X

    def _batch_features(self, batch: Batch) -> np.ndarray:
        return np.hstack([super()._batch_features(batch), self.reader_.probabilities(batch)[batch.doc]])

    # --- persistence: v1's files and the reader's arrays ------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta, files = super()._state()
        return meta, {**files, READER_FILE: self.reader_.arrays()}

    def _read_more_state(self, directory: Path) -> None:
        self.reader_ = CategoryReader.from_arrays(load_arrays(directory / READER_FILE), directory / READER_FILE)
